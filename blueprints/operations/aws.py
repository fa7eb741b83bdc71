"""boto3 clients with the standard configuration chain (profile, region, AWS_ENDPOINT_URL, credentials)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})


def client(service: str, region: str | None = None) -> Any:
    """A client for `service` in `region` (None: the configured default region); moto answers it when
    AWS_ENDPOINT_URL points at a moto server."""
    return boto3.session.Session().client(service, region_name=region, config=_CONFIG)
