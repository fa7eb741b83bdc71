"""Hand-made request samples and reports for tests that need no server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from blueprints.loadtest import FixedConcurrency, LoadTestConfig, LoadTestReport, SloGates, Target, Workload
from blueprints.loadtest.protocol import RequestSample

TARGET = Target(base_url="http://127.0.0.1:9/v1", model="m")


def sample(index: int = 0, *, start_s: float = 0.0, ttft_s: float | None = 0.1, tokens: int = 11,
           gap_s: float = 0.01, ok: bool = True, **fields: Any) -> RequestSample:
    """A request whose tokens arrive `gap_s` apart after `ttft_s`: e2e = ttft + (tokens - 1) * gap."""
    if not ok:
        return RequestSample(endpoint="target", index=index, start_s=start_s, input_tokens=8, max_tokens=tokens,
                             ok=False, error=fields.pop("error", "HTTP 500: boom"), status=500, e2e_s=0.01,
                             **fields)
    assert ttft_s is not None
    return RequestSample(
        endpoint="target", index=index, start_s=start_s, input_tokens=8, max_tokens=tokens, ok=True, status=200,
        ttft_s=ttft_s, e2e_s=ttft_s + (tokens - 1) * gap_s, output_tokens=tokens, itl_s=[gap_s] * (tokens - 1),
        **fields,
    )


def report(samples: list[RequestSample], gates: SloGates | None = None, window_s: float | None = None
           ) -> LoadTestReport:
    config = LoadTestConfig(target=TARGET, workload=Workload(arrivals=FixedConcurrency(users=1)),
                            gates=gates or SloGates(), window_s=window_s)
    return LoadTestReport.build(config, TARGET, samples, datetime(2026, 1, 1, tzinfo=UTC))
