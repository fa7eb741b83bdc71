"""Shared test helpers for the operations commands: moto-backed AWS and stack files in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
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
