"""Secrets Manager rotation function that generates random credentials inside AWS.

Deployed as the Lambda behind every generated secret (`Secrets.generated_secret`): Secrets Manager calls it with
`rotate_immediately` when the secret is created and then on schedule, so the value is produced by
`GetRandomPassword` in the account and never passes through stack config, Pulumi state or the offline plan.

The four steps follow the Secrets Manager rotation protocol. `setSecret` and `testSecret` have nothing to do:
these credentials are checked only by the platform's own workloads, which read them through External Secrets.
This file is packaged as the function's `index.py` and uses only the Lambda runtime's boto3.
"""

from __future__ import annotations

import os
from typing import Any

PENDING, CURRENT = "AWSPENDING", "AWSCURRENT"
DEFAULT_LENGTH = 48


def handler(event: dict[str, Any], context: Any, client: Any = None) -> None:
    if client is None:
        import boto3  # here: the offline plan imports this module for its path and would pay for boto3

        client = boto3.client("secretsmanager")
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    metadata = client.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise ValueError(f"rotation is not enabled for {arn}")
    versions: dict[str, list[str]] = metadata["VersionIdsToStages"]
    if token not in versions:
        raise ValueError(f"version {token} of {arn} is not being rotated")
    if CURRENT in versions[token]:
        return
    if PENDING not in versions[token]:
        raise ValueError(f"version {token} of {arn} is not {PENDING}")
    if step == "createSecret":
        _create(client, arn, token)
    elif step == "finishSecret":
        _finish(client, arn, token, versions)
    elif step not in ("setSecret", "testSecret"):
        raise ValueError(f"unknown rotation step {step!r}")


def _create(client: Any, arn: str, token: str) -> None:
    """Store a new random value as AWSPENDING, unless an earlier attempt of this rotation already did."""
    try:
        client.get_secret_value(SecretId=arn, VersionId=token, VersionStage=PENDING)
        return
    except client.exceptions.ResourceNotFoundException:
        pass
    length = int(os.environ.get("SECRET_LENGTH", DEFAULT_LENGTH))
    value = client.get_random_password(PasswordLength=length, ExcludePunctuation=True)["RandomPassword"]
    client.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=value, VersionStages=[PENDING])


def _finish(client: Any, arn: str, token: str, versions: dict[str, list[str]]) -> None:
    current = next((version for version, stages in versions.items() if CURRENT in stages), None)
    client.update_secret_version_stage(
        SecretId=arn, VersionStage=CURRENT, MoveToVersionId=token,
        **({"RemoveFromVersionId": current} if current else {}),
    )
