"""`ab report`: compare the variants of an A/B experiment on latency, cost, feedback and eval scores.

Inputs are what the platform records (no live system needed):
- request records: LiteLLM's standard logging payloads as JSON lines (the gateway's audit records, one per
  request), each tagged `ab:<experiment>:<variant>` by the gateway's segment routing (experiments/litellm_ab.py);
- feedback (optional): JSON lines `{"request_id": ..., "rating": 1 | -1}` (thumbs up / down), where request_id is
  the `id` of the answer the client got (the record's `id` in LiteLLM 1.81.16: litellm_logging.py,
  get_standard_logging_object_payload takes the response's id);
- eval results (optional): an `eval run` result file per variant.

Every figure has a confidence interval at level 1 - alpha: means by bootstrap over requests (fixed seed, so the same
inputs give the same report), rates by Wilson's score interval; each variant's difference to the baseline variant
by bootstrap of the two independent samples (means) or Newcombe's hybrid score interval (rates).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

from blueprints.errors import BlueprintError
from blueprints.evaluation.results import EvalResult

TAG_PREFIX = "ab:"
RESAMPLES = 4_000
SEED = 20261204


@dataclass(frozen=True)
class Estimate:
    value: float | None
    lower: float | None
    upper: float | None
    n: int


NONE = Estimate(None, None, None, 0)


@dataclass(frozen=True)
class Sample:
    """One variant's observations."""

    latency_s: list[float] = field(default_factory=list)
    cost_usd: list[float] = field(default_factory=list)
    request_ids: set[str] = field(default_factory=set)
    ratings: list[int] = field(default_factory=list)
    eval_cases: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class VariantReport:
    variant: str
    requests: int
    metrics: dict[str, Estimate]
    differences: dict[str, Estimate]
    """Metric -> this variant minus the baseline (empty for the baseline)."""


@dataclass(frozen=True)
class Report:
    experiment: str
    baseline: str
    alpha: float
    variants: list[VariantReport]


def _z(alpha: float) -> float:
    return NormalDist().inv_cdf(1 - alpha / 2)


def mean_interval(values: list[float], alpha: float) -> Estimate:
    if not values:
        return NONE
    data = np.asarray(values, dtype=float)
    means = np.random.default_rng(SEED).choice(data, size=(RESAMPLES, data.size)).mean(axis=1)
    return Estimate(float(data.mean()), float(np.quantile(means, alpha / 2)), float(np.quantile(means, 1 - alpha / 2)),
                    data.size)


def mean_difference(values: list[float], baseline: list[float], alpha: float) -> Estimate:
    if not values or not baseline:
        return NONE
    rng = np.random.default_rng(SEED)
    a, b = np.asarray(values, dtype=float), np.asarray(baseline, dtype=float)
    diffs = rng.choice(a, size=(RESAMPLES, a.size)).mean(axis=1) - rng.choice(b, size=(RESAMPLES, b.size)).mean(axis=1)
    return Estimate(float(a.mean() - b.mean()), float(np.quantile(diffs, alpha / 2)),
                    float(np.quantile(diffs, 1 - alpha / 2)), a.size + b.size)


def wilson(successes: int, n: int, alpha: float) -> Estimate:
    if n == 0:
        return NONE
    z, p = _z(alpha), successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), n)


def rate_difference(rate: Estimate, baseline: Estimate) -> Estimate:
    """Newcombe's hybrid score interval (method 10) for the difference of two independent proportions."""
    if rate.value is None or baseline.value is None:
        return NONE
    (p1, l1, u1), (p2, l2, u2) = ((float(e.value or 0), float(e.lower or 0), float(e.upper or 0))
                                  for e in (rate, baseline))
    d = p1 - p2
    return Estimate(d, d - math.hypot(p1 - l1, u2 - p2), d + math.hypot(u1 - p1, p2 - l2), rate.n + baseline.n)


def variant_of(record: Mapping[str, Any], experiment: str | None) -> tuple[str, str] | None:
    """(experiment, variant) from a request record's `ab:<experiment>:<variant>` tag."""
    for tag in record.get("request_tags") or []:
        if isinstance(tag, str) and tag.startswith(TAG_PREFIX):
            name, _, variant = tag[len(TAG_PREFIX):].partition(":")
            if variant and experiment in (None, name):
                return name, variant
    return None


def _json_lines(path: Path, flag: str) -> Iterable[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise BlueprintError(f"{flag}: cannot read {str(path)!r} ({error.strerror or error})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise BlueprintError(f"{flag}: {path}:{number} is not a JSON object") from None
        if not isinstance(item, dict):
            raise BlueprintError(f"{flag}: {path}:{number} is not a JSON object")
        yield item


def collect(requests: Path, experiment: str | None) -> tuple[str, dict[str, Sample]]:
    """The experiment's successful requests by variant."""
    samples: dict[str, Sample] = {}
    names: set[str] = set()
    for record in _json_lines(requests, "--requests"):
        found = variant_of(record, experiment)
        if found is None or record.get("status", "success") != "success":
            continue
        names.add(found[0])
        sample = samples.setdefault(found[1], Sample())
        sample.latency_s.append(float(record["endTime"]) - float(record["startTime"]))
        sample.cost_usd.append(float(record.get("response_cost") or 0.0))
        sample.request_ids.add(str(record["id"]))
    if not names:
        which = f"experiment {experiment!r}" if experiment else "any experiment"
        raise BlueprintError(f"--requests: no request of {which} in {requests} (the gateway tags each request of an "
                             "experiment `ab:<experiment>:<variant>`)")
    if len(names) > 1:
        raise BlueprintError(f"--experiment: {requests} holds several experiments ({', '.join(sorted(names))}); "
                             "name one")
    return names.pop(), samples


def add_feedback(samples: dict[str, Sample], feedback: Path) -> None:
    """Ratings from a JSON lines file `{"request_id", "rating": 1 | -1}`; the first per request counts."""
    ratings: dict[str, int] = {}
    for number, item in enumerate(_json_lines(feedback, "--feedback"), 1):
        rating = item.get("rating")
        if rating not in (1, -1):
            raise BlueprintError(f"--feedback: record {number} has rating {rating!r} (allowed: 1, -1)")
        ratings.setdefault(str(item.get("request_id")), rating)  # one rating per request (idempotent)
    add_ratings(samples, ratings)


def request_ids(samples: dict[str, Sample]) -> set[str]:
    return {rid for sample in samples.values() for rid in sample.request_ids}


def add_ratings(samples: dict[str, Sample], ratings: dict[str, int]) -> None:
    """Each rated request's rating on its variant; ratings of other requests are ignored."""
    for sample in samples.values():
        sample.ratings.extend(ratings[rid] for rid in sample.request_ids if rid in ratings)


def add_eval(samples: dict[str, Sample], variant: str, result: EvalResult) -> None:
    if variant not in samples:
        raise BlueprintError(f"--eval: unknown variant {variant!r} (allowed: {', '.join(sorted(samples))})")
    samples[variant].eval_cases.extend(sum(run.passed for run in runs) / len(runs)
                                       for runs in result.by_case().values())


def report(experiment: str, samples: dict[str, Sample], baseline: str | None, alpha: float) -> Report:
    if len(samples) < 2:
        raise BlueprintError(f"--requests: experiment {experiment!r} has requests of {len(samples)} variant(s) "
                             "only (a comparison needs two)")
    base = baseline or ("control" if "control" in samples else sorted(samples)[0])
    if base not in samples:
        raise BlueprintError(f"--baseline: unknown variant {base!r} (allowed: {', '.join(sorted(samples))})")

    def metrics(sample: Sample) -> dict[str, Estimate]:
        positive = sum(1 for rating in sample.ratings if rating > 0)
        return {"latency_s": mean_interval(sample.latency_s, alpha),
                "cost_usd": mean_interval(sample.cost_usd, alpha),
                "feedback_rate": wilson(len(sample.ratings), len(sample.request_ids), alpha),
                "feedback_score": wilson(positive, len(sample.ratings), alpha),
                "eval_pass_rate": mean_interval(sample.eval_cases, alpha)}

    base_metrics = metrics(samples[base])
    rows = []
    for variant in [base, *sorted(set(samples) - {base})]:
        sample, own = samples[variant], metrics(samples[variant])
        differences = {} if variant == base else {
            "latency_s": mean_difference(sample.latency_s, samples[base].latency_s, alpha),
            "cost_usd": mean_difference(sample.cost_usd, samples[base].cost_usd, alpha),
            "feedback_rate": rate_difference(own["feedback_rate"], base_metrics["feedback_rate"]),
            "feedback_score": rate_difference(own["feedback_score"], base_metrics["feedback_score"]),
            "eval_pass_rate": mean_difference(sample.eval_cases, samples[base].eval_cases, alpha)}
        rows.append(VariantReport(variant, len(sample.request_ids), own, differences))
    return Report(experiment, base, alpha, rows)


def _cell(estimate: Estimate, pattern: str) -> str:
    if estimate.value is None:
        return "-"
    return f"{estimate.value:{pattern}} [{estimate.lower:{pattern}}, {estimate.upper:{pattern}}]"


FORMATS = {"latency_s": ".3f", "cost_usd": ".6f", "feedback_rate": ".1%", "feedback_score": ".1%",
           "eval_pass_rate": ".1%"}


def table(result: Report) -> str:
    level = f"{1 - result.alpha:.0%}"
    lines = [f"experiment {result.experiment}: variants vs baseline {result.baseline!r} ({level} intervals)"]
    for row in result.variants:
        lines.append(f"{row.variant} ({row.requests} requests)")
        for name, pattern in FORMATS.items():
            difference = row.differences.get(name)
            versus = f"   diff {_cell(difference, '+' + pattern)}" if difference else ""
            lines.append(f"  {name:<15} {_cell(row.metrics[name], pattern)}{versus}")
    return "\n".join(lines)
