"""The input of a load test: where to send (`Target`), what to send (`Workload`), which SLOs to gate on."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from blueprints.loadtest.gates import SloGates
from blueprints.loadtest.protocol import Endpoint
from blueprints.loadtest.workload import Workload


class Target(BaseModel):
    """An OpenAI-compatible endpoint. `base_url` is what an OpenAI client is given, e.g. http://host:4000/v1;
    requests go to `<base_url>/chat/completions`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("target", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    base_url: str
    model: str = Field(min_length=1)
    api_key: SecretStr | None = None
    """Sent as `Authorization: Bearer <api_key>`."""

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"must be an http(s) URL such as http://127.0.0.1:4000/v1 (got {value!r})")
        return value.rstrip("/")

    @property
    def chat_url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def endpoint(self) -> Endpoint:
        key = self.api_key.get_secret_value() if self.api_key else None
        return Endpoint(name=self.name, chat_url=self.chat_url, model=self.model, api_key=key)


class LoadTestConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    target: Target
    workload: Workload
    gates: SloGates = SloGates()
    window_s: float | None = Field(None, gt=0)
    """Width of the report's time windows; None = the run's length / 30, at least 1 s."""
    progress_interval_s: float = Field(5.0, gt=0)
