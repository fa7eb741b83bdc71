"""One step of a gated rollout: measure the candidate, judge it, then advance, hold, or roll back.

Gates (each a `GateResult`, failing closed when nothing was measured):
- error ratio, p95 TTFT and p95 TPOT of the candidate over the window, against the model's SLOs in the spec
  (`serving.models[].slo`) unless thresholds are given;
- optionally a load-test result (`python -m blueprints loadtest --out DIR`, its `summary.json`): every gate it
  recorded must have passed;
- optionally the golden-set evaluation gate (`eval gate`, the eval Job): the stable and candidate result files at
  a location; the candidate must not be worse (paired non-inferiority test, recomputed here from both files).
A candidate that served fewer than `min_requests` requests in the window is not judged on live metrics: it
is held (nothing changes) unless only offline gates can judge it (weight 0, load test or evaluation given).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from blueprints.errors import BlueprintError
from blueprints.evaluation.gate import BASELINE, CANDIDATE, Location, judge
from blueprints.loadtest.gates import GateResult
from blueprints.operations import versions as moves
from blueprints.operations.metrics import CanaryMetrics, MetricsSource
from blueprints.operations.stack_file import StackFile
from blueprints.spec import ModelSpec

Status = Literal["advanced", "promoted", "held", "rolled-back"]


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_error_ratio: float = Field(ge=0, le=1)
    ttft_p95_ms: float = Field(gt=0)
    tpot_p95_ms: float = Field(gt=0)
    min_requests: int = Field(50, ge=0)
    eval_margin: float = Field(0.1, gt=0, lt=1)
    """Non-inferiority margin on the golden-set pass rate (`eval compare --margin`)."""

    @classmethod
    def for_model(cls, model: ModelSpec, **overrides: Any) -> Thresholds:
        """The model's SLOs, with any threshold given explicitly taking precedence."""
        slo = model.slo
        given = {key: value for key, value in overrides.items() if value is not None}
        return cls(**{
            "max_error_ratio": slo.max_error_ratio, "ttft_p95_ms": slo.ttft_p95_ms, "tpot_p95_ms": slo.tpot_p95_ms,
            **given,
        })


class StepOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Status
    model: str
    metrics: CanaryMetrics
    gates: list[GateResult]
    before: dict[str, Any]
    after: dict[str, Any]


def _gate(name: str, threshold: float, observed: float | None) -> GateResult:
    within = observed is not None and observed <= threshold
    return GateResult(gate=name, threshold=threshold, observed=observed, passed=within)


def metric_gates(metrics: CanaryMetrics, thresholds: Thresholds) -> list[GateResult]:
    return [
        _gate("max_error_ratio", thresholds.max_error_ratio, metrics.error_ratio),
        _gate("ttft_p95_ms", thresholds.ttft_p95_ms, metrics.ttft_p95_ms),
        _gate("tpot_p95_ms", thresholds.tpot_p95_ms, metrics.tpot_p95_ms),
    ]


def _read_json(path: Path, flag: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BlueprintError(f"{flag}: cannot read {str(path)!r} ({error})") from None


def loadtest_gate(summary_path: Path) -> GateResult:
    """Passes when the load test measured requests and every gate it recorded passed."""
    summary = _read_json(summary_path, "--loadtest")
    if not isinstance(summary, dict) or "gate_results" not in summary or "summary" not in summary:
        raise BlueprintError(f"--loadtest: {str(summary_path)!r} is not a loadtest summary.json (no gate_results)")
    results = summary["gate_results"]
    failed = sum(1 for result in results if not result.get("passed"))
    measured = summary["summary"].get("requests", 0) > 0
    return GateResult(gate="loadtest_failed_gates", threshold=0, observed=float(failed) if measured else None,
                      passed=measured and failed == 0)


def eval_gate(location: str, thresholds: Thresholds, model: str, versions: dict[str, Any]) -> GateResult:
    """The candidate is not worse than stable on the golden set: the lower confidence bound of its pass-rate
    difference stays above -margin. Results of other versions or golden sets are bad input."""
    where = Location(location)
    comparison = judge(where.read(BASELINE, "--eval"), where.read(CANDIDATE, "--eval"), model,
                       versions["stable"], versions["candidate"], margin=thresholds.eval_margin)
    return GateResult(gate="eval_not_worse", threshold=-thresholds.eval_margin, observed=comparison.overall.lower,
                      passed=comparison.not_worse)


def step(
    stack_file: StackFile,
    model: str,
    source: MetricsSource,
    thresholds: Thresholds,
    window: timedelta,
    now: datetime,
    steps: tuple[int, ...] = moves.DEFAULT_CANARY_STEPS,
    loadtest: Path | None = None,
    evaluation: str | None = None,
    actor: str | None = None,
) -> StepOutcome:
    before = moves.current_versions(stack_file, model)
    candidate = before.get("candidate")
    if not candidate:
        raise BlueprintError(
            f"--model: {model!r} has no candidate version to roll out (start one with `model promote --canary`)"
        )
    extra = [loadtest_gate(loadtest)] if loadtest else []
    extra += [eval_gate(evaluation, thresholds, model, before)] if evaluation else []
    metrics = source.measure(model, candidate, window, now)
    # Too little traffic says nothing about the candidate: judge only the offline gates, and hold unless they
    # are all there is to judge (a blue-green candidate at 0 %, checked by load test and evaluation).
    insufficient = (metrics.requests or 0) < thresholds.min_requests
    gates = extra if insufficient else [*metric_gates(metrics, thresholds), *extra]
    evidence = [gate.model_dump(mode="json") for gate in gates]
    outcome = {"model": model, "metrics": metrics, "gates": gates, "before": before}
    failed = [gate.gate for gate in gates if not gate.passed]
    if failed:
        after = moves.abort(before)
        moves.apply_change(stack_file, model, "auto-rollback", f"gates failed: {', '.join(failed)}", after,
                           evidence, actor)
        return StepOutcome(status="rolled-back", after=after, **outcome)
    if insufficient and (moves.candidate_traffic(before) > 0 or not extra):
        return StepOutcome(status="held", after=before, **outcome)
    after, action = moves.advance(before, steps)
    moves.apply_change(stack_file, model, action, f"gates passed at {moves.candidate_traffic(before)}%", after,
                       evidence, actor)
    return StepOutcome(status="promoted" if action == "promote" else "advanced", after=after, **outcome)
