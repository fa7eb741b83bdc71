"""Runtime settings of the jobs API and the worker, read from the environment the Kubernetes manifests set."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields

ENV_PREFIX = "BATCH_"


@dataclass(frozen=True)
class Settings:
    """Each field is read from `BATCH_<FIELD>` (upper case); fields without a default are required."""

    bucket: str
    """Inputs, outputs and large results (SSE-KMS with `kms_key_id`)."""
    jobs_table: str
    """Files and batches (partition key `id`)."""
    requests_table: str
    """Per-request idempotency records (partition key `batch_id`, sort key `custom_id`)."""
    queue_url: str
    dlq_url: str
    kms_key_id: str = ""
    """Empty = the bucket's default encryption."""
    upstream_url: str = ""
    """OpenAI-compatible base URL the worker calls (ends in /v1): the gateway's in-cluster Service."""
    upstream_api_key: str = ""
    api_keys: str = ""
    """Bearer keys the jobs API accepts, comma-separated (the gateway's master key)."""
    concurrency: int = 8
    retries: int = 4
    max_deliveries: int = 3
    max_lines: int = 50_000
    max_file_bytes: int = 200 * 1024 * 1024
    request_timeout_s: float = 300.0
    retention_days: int = 30
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 30.0
    poll_wait_s: int = 20
    """SQS long-poll wait."""
    dead_letter_interval_s: float = 30.0
    """How often a worker drains the dead-letter queue into error records."""
    heartbeat_file: str = ""
    """The worker touches this file on every loop turn (its liveness probe checks the file's age); empty = off."""
    webhook_allow_http: bool = False
    """Webhooks must use https unless this is set (local tests)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        missing = []
        for field in fields(cls):
            raw = environ.get(env_name(field.name))
            if raw is None:
                if field.default is MISSING:
                    missing.append(env_name(field.name))
                continue
            kind = str if field.default is MISSING else type(field.default)
            values[field.name] = raw.lower() in ("1", "true", "yes") if kind is bool else kind(raw)
        if missing:
            raise ValueError(f"missing environment variables: {', '.join(missing)}")
        return cls(**values)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The environment that reproduces these settings (what the manifests set)."""
        return {env_name(field.name): _text(getattr(self, field.name)) for field in fields(self)}

    @property
    def accepted_keys(self) -> tuple[str, ...]:
        return tuple(key.strip() for key in self.api_keys.split(",") if key.strip())


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
