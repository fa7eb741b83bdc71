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
