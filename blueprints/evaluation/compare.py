"""`eval compare`: is the candidate not worse than the baseline on the same golden set?

The unit is the case: its pass rate over the run's repeats. The paired differences (candidate - baseline) are
resampled by case (paired bootstrap); the candidate is *not worse* when the one-sided lower confidence bound of the
mean difference, at level 1 - alpha, stays above -margin (a non-inferiority test with the margin as its bound).
An equal candidate therefore passes, and one that loses more than the margin on enough cases is blocked.

A set too small to show non-inferiority is refused before any verdict. The size needed follows the standard
paired-proportion sample size n = (z(1-alpha) + z(power))^2 * psi / margin^2, where psi is the planned share of
discordant cases (cases on which two equally good versions disagree; `--discordance`, measured by running one
version twice). McNemar's exact test on the discordant cases is printed beside it for reference.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from math import comb

import numpy as np

from blueprints.errors import BlueprintError
from blueprints.evaluation.results import CaseResult, EvalResult

RESAMPLES = 10_000
SEED = 20261204
"""Fixed, so the same two result files always give the same verdict."""


class Unusable(BlueprintError):
    """The two results cannot be compared, or not with the power asked for (exit 2)."""


@dataclass(frozen=True)
class Row:
    name: str
    cases: int
    baseline: float
    candidate: float
    lower: float
    upper: float

    @property
    def difference(self) -> float:
        return self.candidate - self.baseline


@dataclass(frozen=True)
class Comparison:
    golden: str
    cases: int
    needed: int
    margin: float
    alpha: float
    overall: Row
    checks: tuple[Row, ...]
    discordant: tuple[int, int]
    """(baseline passed and candidate failed, baseline failed and candidate passed), on cases' majority."""
    mcnemar_p: float
    latency_p50_s: tuple[float | None, float | None]
    cost_usd: tuple[float | None, float | None]

    @property
    def not_worse(self) -> bool:
        return self.overall.lower >= -self.margin


def cases_needed(margin: float, alpha: float, power: float, discordance: float) -> int:
    z = statistics.NormalDist().inv_cdf
    return math.ceil((z(1 - alpha) + z(power)) ** 2 * discordance / margin ** 2)


def _case_rates(results: EvalResult, check: str | None) -> dict[str, float]:
    """Per case: the share of repeats that passed (all checks, or all checks of one type)."""
    rates: dict[str, float] = {}
    for case_id, runs in results.by_case().items():
        marks = [_passed(run, check) for run in runs]
        known = [mark for mark in marks if mark is not None]
        if known:
            rates[case_id] = sum(known) / len(known)
    return rates


def _passed(run: CaseResult, check: str | None) -> bool | None:
    if check is None:
        return run.passed
    if run.error is not None:
        return False
    typed = [result.passed for result in run.checks if result.type == check]
    return all(typed) if typed else None


def _row(name: str, baseline: dict[str, float], candidate: dict[str, float], alpha: float,
         rng: np.random.Generator) -> Row:
    ids = sorted(baseline.keys() & candidate.keys())
    base = np.array([baseline[i] for i in ids])
    cand = np.array([candidate[i] for i in ids])
    means = (cand - base)[rng.integers(0, len(ids), size=(RESAMPLES, len(ids)))].mean(axis=1)
    return Row(name=name, cases=len(ids), baseline=float(base.mean()), candidate=float(cand.mean()),
               lower=float(np.quantile(means, alpha)), upper=float(np.quantile(means, 1 - alpha)))


def _mcnemar(baseline: dict[str, float], candidate: dict[str, float]) -> tuple[tuple[int, int], float]:
    worse = sum(1 for i in baseline if baseline[i] >= 0.5 > candidate[i])
    better = sum(1 for i in baseline if candidate[i] >= 0.5 > baseline[i])
    n, k = worse + better, min(worse, better)
    p = 1.0 if n == 0 else min(1.0, 2 * sum(comb(n, j) for j in range(k + 1)) / 2 ** n)
    return (worse, better), p


def compare(baseline: EvalResult, candidate: EvalResult, margin: float = 0.1, alpha: float = 0.05,
            power: float = 0.8, discordance: float = 0.05) -> Comparison:
    for name, value, low, high in (("--margin", margin, 0, 1), ("--alpha", alpha, 0, 0.5), ("--power", power, 0.5, 1),
                                   ("--discordance", discordance, 0, 1)):
        if not low < value < high:
            raise Unusable(f"{name}: between {low} and {high}, exclusive (got {value})")
    if baseline.run.golden_version != candidate.run.golden_version:
        raise Unusable(f"golden set versions differ: baseline {baseline.run.golden} {baseline.run.golden_version[:19]}"
                       f", candidate {candidate.run.golden} {candidate.run.golden_version[:19]}; run both on one file")
    base_rates, cand_rates = _case_rates(baseline, None), _case_rates(candidate, None)
    if base_rates.keys() != cand_rates.keys():
        missing = sorted(base_rates.keys() ^ cand_rates.keys())
        raise Unusable(f"the results cover different cases (e.g. {missing[0]!r}); rerun the incomplete one")
    needed = cases_needed(margin, alpha, power, discordance)
    if len(base_rates) < needed:
        raise Unusable(f"too few cases: {len(base_rates)}, at least {needed} are needed to show non-inferiority "
                       f"within margin {margin} at alpha {alpha} with power {power} (discordance {discordance}); "
                       "add cases or widen the margin")
    rng = np.random.default_rng(SEED)
    kinds = sorted({check.type for run in baseline.results for check in run.checks})
    rows = tuple(_row(kind, _case_rates(baseline, kind), _case_rates(candidate, kind), alpha, rng) for kind in kinds)
    discordant, p_value = _mcnemar(base_rates, cand_rates)
    return Comparison(
        golden=baseline.run.golden, cases=len(base_rates), needed=needed, margin=margin, alpha=alpha,
        overall=_row("all checks", base_rates, cand_rates, alpha, rng), checks=rows, discordant=discordant,
        mcnemar_p=p_value,
        latency_p50_s=(baseline.summary.latency_p50_s, candidate.summary.latency_p50_s),
        cost_usd=(baseline.summary.cost_usd, candidate.summary.cost_usd),
    )


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def table(result: Comparison, baseline: str, candidate: str) -> str:
    """The per-check table and the verdict, as text."""
    head = f"{'check':<14} {'cases':>5} {baseline[:14]:>14} {candidate[:14]:>14} {'diff':>7}  one-sided bounds"
    lines = [f"golden set {result.golden}: {result.cases} cases (at least {result.needed} needed)", head]
    for row in (*result.checks, result.overall):
        lines.append(f"{row.name:<14} {row.cases:>5} {row.baseline:>14.1%} {row.candidate:>14.1%} "
                     f"{row.difference:>+7.1%}  [{row.lower:+.1%}, {row.upper:+.1%}]")
    worse, better = result.discordant
    lines.append(f"discordant cases: {worse} only baseline passed, {better} only candidate passed "
                 f"(McNemar exact p = {result.mcnemar_p:.3g})")
    lines.append(f"latency p50 s: {_fmt(result.latency_p50_s[0], '.3f')} -> {_fmt(result.latency_p50_s[1], '.3f')}; "
                 f"cost USD: {_fmt(result.cost_usd[0], '.4f')} -> {_fmt(result.cost_usd[1], '.4f')}")
    bound = f"lower bound {result.overall.lower:+.1%} vs margin -{result.margin:.1%} at alpha {result.alpha}"
    verdict = "NOT WORSE" if result.not_worse else "WORSE (non-inferiority not shown)"
    lines.append(f"verdict: candidate {verdict}: {bound}")
    return "\n".join(lines)
