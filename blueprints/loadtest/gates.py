"""SLO gates of a load test: thresholds on the report's p95 TTFT, p95 TPOT and error ratio, each evaluated
to a pass or a fail. A gate fails closed: with nothing measured (no successful request) it fails."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from blueprints.errors import GateFailed


class SloGates(BaseModel):
    """Thresholds; None = not gated. Field names match `blueprints.spec.SloSpec`, so a preset's SLOs convert
    with `SloGates.model_validate(slo.model_dump(include=SloGates.model_fields.keys()))`. The TTFT and TPOT
    thresholds also decide which requests count towards goodput."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ttft_p95_ms: float | None = Field(None, gt=0)
    tpot_p95_ms: float | None = Field(None, gt=0)
    max_error_ratio: float | None = Field(None, ge=0, le=1)


class GateResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    gate: str
    threshold: float
    observed: float | None
    """None when there was nothing to measure."""
    passed: bool

    def describe(self) -> str:
        observed = "nothing measured" if self.observed is None else f"{self.observed:.4g}"
        verdict = "pass" if self.passed else "FAIL"
        return f"{verdict}  {self.gate}: observed {observed}, limit {self.threshold:.4g}"


def enforce_gates(results: list[GateResult]) -> None:
    """Raise GateFailed (exit code 1) naming every failed gate."""
    failed = [result for result in results if not result.passed]
    if failed:
        raise GateFailed("SLO gates failed: " + "; ".join(result.describe() for result in failed))
