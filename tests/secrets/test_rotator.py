"""The rotation function against moto's Secrets Manager: Secrets Manager's four steps, as AWS calls them."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from moto import mock_aws

from blueprints.secrets import rotator


class RotatingClient:
    """moto's client, plus what moto cannot stage by itself: the new version that Secrets Manager marks
    AWSPENDING (without a value) before it calls createSecret."""

    def __init__(self, client: Any, token: str):
        self._client, self._token = client, token
        self.exceptions = client.exceptions

    def describe_secret(self, **kwargs: Any) -> dict[str, Any]:
        described = self._client.describe_secret(**kwargs)
        stages = described.setdefault("VersionIdsToStages", {})
        stages.setdefault(self._token, [rotator.PENDING])
        return {**described, "RotationEnabled": True}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def client() -> Any:
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def _rotate(client: Any, arn: str, token: str, steps: tuple[str, ...]) -> None:
    rotating = RotatingClient(client, token)
    for step in steps:
        rotator.handler({"SecretId": arn, "ClientRequestToken": token, "Step": step}, None, client=rotating)


def test_first_rotation_generates_the_value_inside_aws(client: Any) -> None:
    arn = client.create_secret(Name="qdrant-api-key")["ARN"]
    token = str(uuid.uuid4())
    _rotate(client, arn, token, ("createSecret", "setSecret", "testSecret", "finishSecret"))
    value = client.get_secret_value(SecretId=arn)
    assert value["VersionId"] == token
    assert len(value["SecretString"]) == rotator.DEFAULT_LENGTH and value["SecretString"].isalnum()


def test_a_later_rotation_replaces_the_value_and_keeps_the_previous_one(client: Any) -> None:
    arn = client.create_secret(Name="gateway-master-key", SecretString="old-value")["ARN"]
    token = str(uuid.uuid4())
    _rotate(client, arn, token, ("createSecret",))
    pending = client.get_secret_value(SecretId=arn, VersionStage=rotator.PENDING)["SecretString"]
    _rotate(client, arn, token, ("createSecret",))  # a retried step keeps the value it made
    assert client.get_secret_value(SecretId=arn, VersionStage=rotator.PENDING)["SecretString"] == pending
    assert client.get_secret_value(SecretId=arn)["SecretString"] == "old-value"
    _rotate(client, arn, token, ("finishSecret",))
    # Named stage: moto's stage-less read keeps answering the version the secret was created with.
    assert client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"] == pending != "old-value"
    assert client.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"] == "old-value"


def test_unknown_versions_and_steps_are_refused(client: Any) -> None:
    arn = client.create_secret(Name="cache-token", SecretString="v")["ARN"]
    with pytest.raises(ValueError, match="is not being rotated"):
        rotator.handler({"SecretId": arn, "ClientRequestToken": "nope", "Step": "createSecret"}, None,
                        client=RotatingClient(client, "other"))
    with pytest.raises(ValueError, match="unknown rotation step 'deleteSecret'"):
        _rotate(client, arn, str(uuid.uuid4()), ("deleteSecret",))
