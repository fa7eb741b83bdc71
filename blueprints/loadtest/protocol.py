"""What the parent process and the locust process of a load test exchange: the plan (stdin, one JSON document)
and, back, one JSON line per finished request and a heartbeat at a fixed interval (stdout)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from blueprints.loadtest.workload import Workload


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Endpoint(_Message):
    """One endpoint under load, with its secret in the clear: this model only travels over a pipe."""

    name: str
    chat_url: str
    model: str
    api_key: str | None = None


class WorkerPlan(_Message):
    workload: Workload
    endpoints: list[Endpoint] = Field(min_length=1)
    """Requests go to the endpoints in turn; consecutive requests to different endpoints carry the same prompt
    and lengths, so the endpoints are compared on identical traffic."""
    heartbeat_s: float = Field(gt=0)


class RequestSample(_Message):
    """One request as the client saw it. Times are seconds; `start_s` counts from the start of the run."""

    kind: Literal["sample"] = "sample"
    endpoint: str
    index: int
    start_s: float
    dispatch_lag_s: float = 0.0
    """How long the request waited in the load generator after its scheduled arrival (open loop only)."""
    input_tokens: int
    max_tokens: int
    ok: bool
    error: str | None = None
    status: int = 0
    """HTTP status; 0 when no response arrived."""
    ttft_s: float | None = None
    e2e_s: float
    output_tokens: int = 0
    itl_s: list[float] = []
    """Gaps between consecutive content chunks of the stream."""

    @property
    def tpot_s(self) -> float | None:
        """Time per output token after the first: (end-to-end - TTFT) / (tokens - 1)."""
        if self.ttft_s is None or self.output_tokens < 2:
            return None
        return (self.e2e_s - self.ttft_s) / (self.output_tokens - 1)

    @property
    def end_s(self) -> float:
        return self.start_s + self.e2e_s


class Heartbeat(_Message):
    kind: Literal["heartbeat"] = "heartbeat"
    elapsed_s: float
    issued: int
    in_flight: int


WorkerMessage = Annotated[RequestSample | Heartbeat, Field(discriminator="kind")]
WORKER_MESSAGE: TypeAdapter[RequestSample | Heartbeat] = TypeAdapter(WorkerMessage)
