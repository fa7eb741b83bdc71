"""boto3 clients with the standard configuration chain (profile, region, AWS_ENDPOINT_URL, credentials).

Every client remembers the parameters of its latest call, so a failure can name what it was about
(`describe_aws_error`: the bucket of a NoSuchBucket or AccessDenied), in one line.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from blueprints.errors import BlueprintError

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
_LAST_CALL: ContextVar[tuple[str, dict[str, Any]]] = ContextVar("last_aws_call", default=("", {}))
NO_CREDENTIALS = ("AWS credentials: none found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                  "or run where an instance/pod role is available)")


def client(service: str, region: str | None = None) -> Any:
    """A client for `service` in `region` (None: the configured default region); moto answers it when
    AWS_ENDPOINT_URL points at a moto server. No credentials at all: a BlueprintError before any call."""
    session = boto3.session.Session()
    if session.get_credentials() is None:
        raise BlueprintError(NO_CREDENTIALS)
    made = session.client(service, region_name=region, config=_CONFIG)
    made.meta.events.register("before-parameter-build", _remember)
    return made


def _remember(params: dict[str, Any], model: Any, **_: Any) -> None:
    _LAST_CALL.set((model.name, dict(params)))


def describe_aws_error(error: ClientError | BotoCoreError) -> str:
    """`AWS ListObjectsV2 (Bucket=b): NoSuchBucket: The specified bucket does not exist`."""
    if isinstance(error, NoCredentialsError):
        return NO_CREDENTIALS
    if not isinstance(error, ClientError):
        return f"AWS: {error}"
    operation, params = _LAST_CALL.get()
    named = ", ".join(f"{key}={value}" for key, value in params.items()
                      if isinstance(value, str) and key in ("Bucket", "Key", "Prefix"))
    failure = error.response.get("Error", {})
    code = failure.get("Code") or "error"
    message = failure.get("Message") or str(error)
    return f"AWS {error.operation_name or operation}{f' ({named})' if named else ''}: {code}: {message}"
