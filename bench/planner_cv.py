"""Capacity planner accuracy on configurations it was not fitted to: leave-one-group-out cross-validation.

The published TensorRT-LLM max-throughput rows (tests/catalog/anchors/trtllm-throughput*.csv: two releases of
NVIDIA's perf-overview, 8B/70B/405B, H100/H200/B200, FP8/NVFP4, TP 1-8) are split into groups: one model size, or
one GPU generation. For each group, the planner's fitted constants (`FITTED` of catalog/calibration.py) are refitted
on every other row, exactly as the shipped ones are fitted on all of them, and the held-out group is predicted. A
held-out figure never influences its own prediction. Error = |predicted / published - 1|. The planner predicts
v1.0-era software; a v0.20 row is read through that release's measured speed (`release_0_20_speed`).
"""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench import Figure
from blueprints.catalog.calibration import CALIBRATION, FITTED, Calibration
from blueprints.catalog.gpus import GPUS
from blueprints.catalog.models import MODELS
from blueprints.sizing import max_throughput

TITLE = "Planner error on unseen model sizes and GPU generations (leave-one-group-out, refitted per fold)"

ANCHORS = Path(__file__).resolve().parents[1] / "tests" / "catalog" / "anchors"
SOURCES = {"trtllm-throughput.csv": "1.0", "trtllm-throughput-v0.20.csv": "0.20"}
"""Each anchor file and the TensorRT-LLM release whose perf-overview it copies."""
ROUNDS, EVALUATIONS_PER_ROUND = 8, 400
"""Nelder-Mead restarts (each from the best point so far, with a fresh simplex) and objective evaluations
per round: a fit's budget, which bounds the benchmark's time. Converged (2026-12-04, the smooth objective of `_loss`):
fits from four different starting points end at the same loss and constants."""


@dataclass(frozen=True)
class Row:
    source: str
    model: str
    gpu: str
    tp: int
    precision: str
    isl: int
    osl: int
    published: float
    requests: int

    @property
    def release(self) -> str:
        return SOURCES[self.source]

    @property
    def configuration(self) -> tuple[str, str, int, str, int, int]:
        """What a run measured, whichever release ran it."""
        return (self.model, self.gpu, self.tp, self.precision, self.isl, self.osl)


def published_rows() -> list[Row]:
    rows = []
    for name in SOURCES:
        lines = [line for line in (ANCHORS / name).read_text().splitlines() if not line.startswith("#")]
        for record in csv.DictReader(lines):
            rows.append(
                Row(
                    source=name,
                    model=record["model"],
                    gpu=record["gpu"],
                    tp=int(record["tp"]),
                    precision=record["precision"],
                    isl=int(record["isl"]),
                    osl=int(record["osl"]),
                    published=float(record["total_output_tok_s"]),
                    requests=int(record["num_requests"]),
                )
            )
    return rows


def predict(row: Row, calibration: Calibration) -> float:
    """The planner's figure for a published run: v1.0-era software, scaled for a run of the earlier release."""
    model, gpu = MODELS[row.model], GPUS[row.gpu]
    precision = row.precision
    estimate = max_throughput(model, gpu, row.tp, precision, row.isl, row.osl, calibration, row.requests)  # type: ignore[arg-type]
    release_speed = calibration.release_0_20_speed if row.release == "0.20" else 1.0
    return estimate.output_tok_s_total * release_speed


def _release_ratios(rows: Sequence[Row]) -> list[float]:
    """v0.20 / v1.0 throughput of every configuration both releases published among `rows`."""
    v1 = {row.configuration: row.published for row in rows if row.release == "1.0"}
    return [row.published / v1[row.configuration] for row in rows
            if row.release == "0.20" and row.configuration in v1]


def release_speed(rows: Sequence[Row]) -> float:
    """v0.20's throughput relative to v1.0's: the median ratio over the configurations both releases published
    among `rows` (a fold's own rows, so a held-out group never sets the ratio its rows are read through)."""
    return statistics.median(_release_ratios(rows))


def release_spread(rows: Sequence[Row]) -> float:
    """Standard deviation of the log ratio over the configurations both releases published: how far one
    configuration's throughput moves between two published runs beyond the releases' typical speed-up."""
    return statistics.pstdev(math.log(ratio) for ratio in _release_ratios(rows))


def noise_floor(rows: Sequence[Row]) -> float:
    """The max error over `rows` that a planner exact up to that spread would still show: each row off by normal
    noise of sigma = spread / sqrt(2) (a pair's difference carries two rows' noise), the median of the largest of
    len(rows) such errors. It counts all of the spread as noise; part of it may be software that changed per
    configuration, which a planner predicting one release could not follow either."""
    sigma = release_spread(rows) / math.sqrt(2)
    quantile = statistics.NormalDist().inv_cdf((1 + 0.5 ** (1 / len(rows))) / 2)
    return math.exp(sigma * quantile) - 1


def _loss(rows: Sequence[Row], calibration: Calibration) -> float:
    """What the fit minimises: the mean of |log(predicted / published)| plus half their power mean at p = 8 (a
    smooth maximum, so no row runs away). Smooth, the simplex reaches one optimum from any start; the median + max
    objective used before stopped on its kinks, at losses up to 3% apart with constants far apart."""
    errors = [abs(math.log(predict(row, calibration) / row.published)) for row in rows]
    return statistics.fmean(errors) + statistics.fmean(error**8 for error in errors) ** (1 / 8) / 2


def _with(base: Calibration, values: np.ndarray) -> Calibration:
    """`base` with the fitted constants set to exp(`values`), each clipped to its range."""
    bounded = zip(FITTED.items(), values, strict=True)
    update = {name: min(max(math.exp(value), low), high) for (name, (low, high)), value in bounded}
    return base.model_copy(update=update)


def _nelder_mead(function: Callable[[np.ndarray], float], start: np.ndarray, budget: int) -> np.ndarray:
    """Minimise `function` from `start` (standard coefficients: reflect 1, expand 2, contract 1/2, shrink 1/2)."""
    simplex = [start] + [start + np.eye(len(start))[i] * 0.3 for i in range(len(start))]
    values = [function(point) for point in simplex]
    evaluations = len(simplex)
    while evaluations < budget:
        order = np.argsort(values)
        simplex, values = [simplex[i] for i in order], [values[i] for i in order]
        centroid = np.mean(simplex[:-1], axis=0)
        reflected = centroid + (centroid - simplex[-1])
        reflected_value = function(reflected)
        evaluations += 1
        if reflected_value < values[0]:
            expanded = centroid + 2 * (centroid - simplex[-1])
            expanded_value = function(expanded)
            evaluations += 1
            simplex[-1], values[-1] = (
                (expanded, expanded_value) if expanded_value < reflected_value else (reflected, reflected_value)
            )
        elif reflected_value < values[-2]:
            simplex[-1], values[-1] = reflected, reflected_value
        else:
            contracted = centroid + 0.5 * (simplex[-1] - centroid)
            contracted_value = function(contracted)
            evaluations += 1
            if contracted_value < values[-1]:
                simplex[-1], values[-1] = contracted, contracted_value
            else:
                simplex = [simplex[0] + 0.5 * (point - simplex[0]) for point in simplex]
                values = [values[0]] + [function(point) for point in simplex[1:]]
                evaluations += len(simplex) - 1
    return simplex[int(np.argmin(values))]


def fit(rows: Sequence[Row], rounds: int = ROUNDS, evaluations: int = EVALUATIONS_PER_ROUND) -> Calibration:
    """The fitted constants that best reproduce `rows`, starting from the geometric middle of each one's range
    (not from the shipped constants, which have seen every row), with the release ratio of `rows`."""
    base = CALIBRATION.model_copy(update={"release_0_20_speed": release_speed(rows)})
    start = np.array([(math.log(low) + math.log(high)) / 2 for low, high in FITTED.values()])
    for _ in range(rounds):
        start = _nelder_mead(lambda values: _loss(rows, _with(base, values)), start, evaluations)
    return _with(base, start)


GROUPINGS: dict[str, Callable[[Row], str]] = {
    "model": lambda row: row.model,
    "gpu": lambda row: row.gpu,
}
"""Leave out one model size at a time, or one GPU generation (B200 also carries every NVFP4 row)."""


def _describe(row: Row) -> str:
    return f"{row.model} {row.gpu} tp{row.tp} {row.precision} {row.isl}/{row.osl} ({row.source})"


def folds(rows: Sequence[Row]) -> list[tuple[str, str]]:
    """(grouping, group) of every held-out group: each model size, each GPU generation."""
    return [(grouping, group) for grouping, key in GROUPINGS.items() for group in sorted({key(row) for row in rows})]


def held_out_errors(
    grouping: str, group: str, rounds: int = ROUNDS, evaluations: int = EVALUATIONS_PER_ROUND
) -> tuple[list[float], str]:
    """|predicted / published - 1| of every row of `group`, by constants refitted on all the other rows, and the
    worst of them described."""
    rows = published_rows()
    key = GROUPINGS[grouping]
    calibration = fit([row for row in rows if key(row) != group], rounds, evaluations)
    held_out = [row for row in rows if key(row) == group]
    signed = [predict(row, calibration) / row.published - 1 for row in held_out]
    worst = max(range(len(held_out)), key=lambda i: abs(signed[i]))
    return [abs(error) for error in signed], f"{_describe(held_out[worst])}: {signed[worst]:+.0%}"


def _held_out(args: tuple[str, str]) -> tuple[str, list[float], str]:
    grouping, group = args
    errors, worst = held_out_errors(grouping, group)
    return f"{grouping}={group}", errors, worst


def _figures(label: str, errors: list[float], detail: str) -> list[Figure]:
    return [
        Figure(f"{label} median error", 100 * statistics.median(errors), "%", detail),
        Figure(f"{label} max error", 100 * max(errors), "%", detail),
    ]


def run() -> list[Figure]:
    rows = published_rows()
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_held_out, folds(rows)))
    figures: list[Figure] = []
    pooled: list[float] = []
    for label, errors, worst in results:
        figures += _figures(f"held out {label}", errors, f"{len(errors)} rows, refitted on the rest; worst {worst}")
        pooled += errors
    figures += _figures("held out, all folds", pooled, f"{len(pooled)} predictions of {len(rows)} rows")
    shipped = [abs(predict(row, CALIBRATION) / row.published - 1) for row in rows]
    figures += _figures("shipped constants, in sample", shipped, f"{len(rows)} rows")
    figures.append(
        Figure(
            "published rows' own spread",
            100 * release_spread(rows),
            "%",
            "sd of log(v1.0 / v0.20) over the configurations both releases ran",
        )
    )
    figures.append(
        Figure(
            "max error a perfect planner would show",
            100 * noise_floor(rows),
            "%",
            f"median of the largest of {len(rows)} errors drawn at that spread / sqrt(2) per row",
        )
    )
    return figures
