"""The result of a load test (summary, windows, samples) and its verdict against the SLO gates."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from blueprints.loadtest.config import LoadTestConfig, Target
from blueprints.loadtest.gates import GateResult, SloGates
from blueprints.loadtest.metrics import Summary, Window, summarize, windows
from blueprints.loadtest.protocol import RequestSample
from blueprints.loadtest.workload import Workload

MIN_WINDOW_S = 1.0
WINDOWS_PER_RUN = 30


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetInfo(_Output):
    """The target without its key."""

    name: str
    base_url: str
    model: str


class LoadTestReport(_Output):
    target: TargetInfo
    workload: Workload
    gates: SloGates
    started_at: datetime
    summary: Summary
    window_s: float
    windows: list[Window]
    samples: list[RequestSample] = Field(default_factory=list, exclude=True)
    """Every request; written to requests.csv rather than into the JSON."""

    @classmethod
    def build(
        cls, config: LoadTestConfig, target: Target, samples: list[RequestSample], started_at: datetime
    ) -> LoadTestReport:
        summary = summarize(samples, config.gates)
        width = config.window_s or max(MIN_WINDOW_S, summary.duration_s / WINDOWS_PER_RUN)
        return cls(
            target=TargetInfo(name=target.name, base_url=target.base_url, model=target.model),
            workload=config.workload,
            gates=config.gates,
            started_at=started_at,
            summary=summary,
            window_s=width,
            windows=windows(samples, width),
            samples=samples,
        )


class AddedLatency(_Output):
    """Gateway minus direct, in milliseconds, of the medians (None where either side measured nothing)."""

    ttft_p50_ms: float | None
    itl_p50_ms: float | None
    e2e_p50_ms: float | None


class AddedLatencyReport(_Output):
    """The same load sent in one run to a backend directly and through a gateway, requests interleaved."""

    direct: LoadTestReport
    gateway: LoadTestReport
    added: AddedLatency

    @classmethod
    def build(cls, direct: LoadTestReport, gateway: LoadTestReport) -> AddedLatencyReport:
        def difference(measure: str) -> float | None:
            through = getattr(gateway.summary, measure).p50
            straight = getattr(direct.summary, measure).p50
            return None if through is None or straight is None else through - straight

        added = AddedLatency(
            ttft_p50_ms=difference("ttft_ms"),
            itl_p50_ms=difference("itl_ms"),
            e2e_p50_ms=difference("e2e_ms"),
        )
        return cls(direct=direct, gateway=gateway, added=added)


def evaluate_gates(report: LoadTestReport, gates: SloGates) -> list[GateResult]:
    """One result per gate that is set, in a fixed order."""
    summary = report.summary
    observed: dict[str, tuple[float | None, float | None]] = {
        "ttft_p95_ms": (gates.ttft_p95_ms, summary.ttft_ms.p95),
        "tpot_p95_ms": (gates.tpot_p95_ms, summary.tpot_ms.p95),
        "max_error_ratio": (gates.max_error_ratio, summary.error_ratio if summary.requests else None),
    }
    return [
        GateResult(gate=name, threshold=limit, observed=value, passed=value is not None and value <= limit)
        for name, (limit, value) in observed.items()
        if limit is not None
    ]
