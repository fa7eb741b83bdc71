"""Shared test helpers for the operations commands: moto-backed AWS and stack files in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import Stubber
from moto import mock_aws

REGION = "eu-central-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In-process moto for every boto3 client created inside the test; fake credentials, default region."""
    for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def write_stack(stacks_dir: Path, stack: str, preset: str, environment: str, extra: str = "") -> Path:
    """A stack config file as `pulumi config set` writes it, with a comment that edits must keep."""
    stacks_dir.mkdir(parents=True, exist_ok=True)
    path = stacks_dir / f"Pulumi.{stack}.yaml"
    path.write_text(
        "# Production stack: reviewed changes only.\n"
        "config:\n"
        f"  llm-platform:preset: {preset}\n"
        f"  llm-platform:environment: {environment}  # overlay\n"
        "  aws:region: eu-central-1\n" + extra,
        encoding="utf-8",
    )
    return path


def read_config(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["config"]


class Clients:
    """A preflight client factory: moto-backed boto3 clients, except the (service, region) pairs given a
    Stubber (for APIs moto lacks). `verify()` asserts every stubbed response was consumed."""

    def __init__(self) -> None:
        self.stubbers: dict[tuple[str, str], Stubber] = {}

    def stub(self, service: str, region: str) -> Stubber:
        stubber = Stubber(boto3.client(service, region_name=region))
        stubber.activate()
        self.stubbers[(service, region)] = stubber
        return stubber

    def __call__(self, service: str, region: str) -> Any:
        stubber = self.stubbers.get((service, region))
        return stubber.client if stubber else boto3.client(service, region_name=region)

    def verify(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


def model_summary(region: str, model_id: str, inference: str = "ON_DEMAND", lifecycle: str = "ACTIVE") -> dict:
    """One ListFoundationModels summary; `inference` as Bedrock lists it (INFERENCE_PROFILE: profile-only)."""
    return {"modelArn": f"arn:aws:bedrock:{region}::foundation-model/{model_id}", "modelId": model_id,
            "inferenceTypesSupported": [inference], "modelLifecycle": {"status": lifecycle}}


def model_access(model_id: str, authorization: str = "AUTHORIZED") -> dict:
    """A GetFoundationModelAvailability answer: available everywhere, access as given."""
    return {"modelId": model_id, "authorizationStatus": authorization, "entitlementAvailability": "AVAILABLE",
            "agreementAvailability": {"status": "AVAILABLE"}, "regionAvailability": "AVAILABLE"}


def inference_profile(region: str, profile_id: str, routes_to: list[str]) -> dict:
    """A GetInferenceProfile answer for a system-defined profile: one model ARN per destination Region."""
    base = profile_id.split(".", 1)[1]
    return {"inferenceProfileName": profile_id, "inferenceProfileId": profile_id, "status": "ACTIVE",
            "type": "SYSTEM_DEFINED",
            "inferenceProfileArn": f"arn:aws:bedrock:{region}:123456789012:inference-profile/{profile_id}",
            "models": [{"modelArn": f"arn:aws:bedrock:{where}::foundation-model/{base}"} for where in routes_to]}
