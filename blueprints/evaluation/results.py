"""Result files of `eval run`: one record per case and repeat, plus what was evaluated, where and when."""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from blueprints.errors import BlueprintError
from blueprints.evaluation.checks import CheckResult

FORMAT = "blueprints-eval/1"


class CaseResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    repeat: int = Field(ge=0)
    passed: bool
    """Every check passed (a case whose request failed has not passed)."""
    checks: tuple[CheckResult, ...] = ()
    answer: str = ""
    latency_s: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    error: str | None = None


class RunInfo(BaseModel):
    """What was evaluated: results are comparable only on the same golden set version."""

    model_config = ConfigDict(frozen=True)

    format: str = FORMAT
    golden: str
    golden_version: str
    model: str
    endpoint: str
    repeats: int = Field(ge=1)
    judge_model: str | None = None


class Summary(BaseModel):
    model_config = ConfigDict(frozen=True)

    cases: int
    pass_rate: float
    errors: int
    check_pass_rates: dict[str, float]
    latency_p50_s: float | None
    latency_p95_s: float | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None


class EvalResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    run: RunInfo
    started: str
    finished: str
    results: tuple[CaseResult, ...]
    summary: Summary

    def by_case(self) -> dict[str, list[CaseResult]]:
        grouped: dict[str, list[CaseResult]] = {}
        for result in self.results:
            grouped.setdefault(result.id, []).append(result)
        return grouped


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def summarize(results: list[CaseResult]) -> Summary:
    by_type: dict[str, list[bool]] = {}
    for result in results:
        for check in result.checks:
            by_type.setdefault(check.type, []).append(check.passed)
    latencies = sorted(r.latency_s for r in results if r.latency_s is not None)
    costs = [r.cost_usd for r in results if r.cost_usd is not None]
    return Summary(
        cases=len(results),
        pass_rate=sum(r.passed for r in results) / len(results) if results else 0.0,
        errors=sum(r.error is not None for r in results),
        check_pass_rates={kind: sum(marks) / len(marks) for kind, marks in sorted(by_type.items())},
        latency_p50_s=_quantile(latencies, 0.5),
        latency_p95_s=_quantile(latencies, 0.95),
        prompt_tokens=sum(r.prompt_tokens or 0 for r in results),
        completion_tokens=sum(r.completion_tokens or 0 for r in results),
        cost_usd=sum(costs) if costs else None,
    )


def write(path: Path, result: EvalResult) -> None:
    """Atomically: a reader never sees half a result file."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(result.model_dump_json(indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def read(path: Path, flag: str) -> EvalResult:
    try:
        return EvalResult.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except OSError as error:
        raise BlueprintError(f"{flag}: cannot read {str(path)!r} ({error.strerror or error})") from None
    except (ValueError, ValidationError):
        raise BlueprintError(f"{flag}: {str(path)!r} is not a result file of `eval run` ({FORMAT})") from None
