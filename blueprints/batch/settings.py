"""Runtime settings of the jobs API and the worker, read from the environment the Kubernetes manifests set."""

from __future__ import annotations

import os
import threading
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
    """The key the worker sends to the gateway (a fixed value; see `upstream_api_key_file`)."""
    upstream_api_key_file: str = ""
    """File holding the upstream key, re-read when it changes; wins over `upstream_api_key`."""
    api_keys: str = ""
    """Bearer keys the jobs API accepts, comma-separated (a fixed value; see `api_keys_file`)."""
    api_keys_file: str = ""
    """File holding the accepted keys (comma-separated), re-read when it changes; wins over `api_keys`. In the
    cluster both files are keys of a mounted Secret that External Secrets keeps in step with Secrets Manager:
    the kubelet swaps the files in place after each refresh, so a rotated key is used without a restart."""
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

    def accepted_keys(self) -> Credential:
        return Credential(self.api_keys, self.api_keys_file)

    def upstream_key(self) -> Credential:
        return Credential(self.upstream_api_key, self.upstream_api_key_file)


class Credential:
    """A credential that may change while the process runs: the file (when set) is read again whenever it was
    replaced or modified, and the value seen before the last change stays available as `previous` (the other
    end of a rotation may still expect it until it restarts)."""

    def __init__(self, value: str, path: str = ""):
        self._value, self._path, self._previous = value.strip(), path, ""
        self._stamp: tuple[int, int, int] | None = None
        self._lock = threading.Lock()

    def current(self) -> str:
        if not self._path:
            return self._value
        stat = os.stat(self._path)
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                with open(self._path, encoding="utf-8") as source:
                    value = source.read().strip()
                if self._stamp is not None and value != self._value:
                    self._previous = self._value
                self._value, self._stamp = value, stamp
            return self._value

    @property
    def previous(self) -> str:
        return self._previous

    def keys(self) -> tuple[str, ...]:
        """The current value as a comma-separated list."""
        return tuple(key.strip() for key in self.current().split(",") if key.strip())


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
