"""Statistics of a load test: percentiles of TTFT, inter-token latency, time per output token, end-to-end
latency and per-request output speed; error ratio, throughput and goodput; the same over time windows."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from blueprints.loadtest.gates import SloGates
from blueprints.loadtest.protocol import RequestSample

QUANTILES: tuple[int, ...] = (50, 90, 95, 99)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks (numpy's default method)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100 (got {q})")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Distribution(_Output):
    """Summary of one measure; every value None when nothing was measured."""

    count: int
    mean: float | None = None
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None

    @classmethod
    def of(cls, values: Iterable[float], scale: float = 1.0) -> Distribution:
        """Summarise `values`, each multiplied by `scale` (1000 turns seconds into milliseconds)."""
        scaled = [value * scale for value in values]
        if not scaled:
            return cls(count=0)
        quantiles = {f"p{q}": percentile(scaled, q) for q in QUANTILES}
        return cls(count=len(scaled), mean=sum(scaled) / len(scaled), max=max(scaled), **quantiles)


class Goodput(_Output):
    """Requests that succeeded and met every per-request SLO that is set (TTFT, TPOT)."""

    requests: int
    ratio: float
    """Of all requests sent."""
    rps: float


class Summary(_Output):
    requests: int
    succeeded: int
    failed: int
    error_ratio: float
    duration_s: float
    """From the first request's start to the last one's end."""
    request_rate_rps: float
    output_throughput_tps: float
    """Output tokens of successful requests per second of the run, all requests together."""
    ttft_ms: Distribution
    itl_ms: Distribution
    tpot_ms: Distribution
    e2e_ms: Distribution
    output_tokens_per_s: Distribution
    """Per request: output tokens / end-to-end time."""
    output_tokens: Distribution
    dispatch_lag_ms: Distribution
    """Time requests waited in the load generator; large values mean the generator, not the server, lagged."""
    goodput: Goodput
    errors: dict[str, int] = Field(default_factory=dict)
    """The most frequent error messages and their counts."""


class Window(_Output):
    """Requests that started within [start_s, end_s) of the run."""

    start_s: float
    end_s: float
    requests: int
    failed: int
    ttft_ms: Distribution
    itl_ms: Distribution
    e2e_ms: Distribution


def meets_slos(sample: RequestSample, slos: SloGates) -> bool:
    if not sample.ok:
        return False
    if slos.ttft_p95_ms is not None and (sample.ttft_s is None or sample.ttft_s * 1000 > slos.ttft_p95_ms):
        return False
    tpot = sample.tpot_s
    return slos.tpot_p95_ms is None or tpot is None or tpot * 1000 <= slos.tpot_p95_ms


def _ttft_ms(ok: Sequence[RequestSample]) -> Distribution:
    return Distribution.of((s.ttft_s for s in ok if s.ttft_s is not None), 1000)


def _itl_ms(ok: Sequence[RequestSample]) -> Distribution:
    return Distribution.of((gap for s in ok for gap in s.itl_s), 1000)


def _e2e_ms(ok: Sequence[RequestSample]) -> Distribution:
    return Distribution.of((s.e2e_s for s in ok), 1000)


def _span_s(samples: Sequence[RequestSample]) -> float:
    if not samples:
        return 0.0
    return max(s.end_s for s in samples) - min(s.start_s for s in samples)


def _per_second(count: float, span_s: float) -> float:
    return count / span_s if span_s > 0 else 0.0


TOP_ERRORS = 5


def summarize(samples: Sequence[RequestSample], slos: SloGates) -> Summary:
    ok = [s for s in samples if s.ok]
    span = _span_s(samples)
    good = sum(1 for s in samples if meets_slos(s, slos))
    errors = Counter(s.error or "" for s in samples if not s.ok)
    return Summary(
        requests=len(samples),
        succeeded=len(ok),
        failed=len(samples) - len(ok),
        error_ratio=(len(samples) - len(ok)) / len(samples) if samples else 0.0,
        duration_s=span,
        request_rate_rps=_per_second(len(samples), span),
        output_throughput_tps=_per_second(sum(s.output_tokens for s in ok), span),
        ttft_ms=_ttft_ms(ok),
        itl_ms=_itl_ms(ok),
        tpot_ms=Distribution.of((t for s in ok if (t := s.tpot_s) is not None), 1000),
        e2e_ms=_e2e_ms(ok),
        output_tokens_per_s=Distribution.of(s.output_tokens / s.e2e_s for s in ok if s.e2e_s > 0),
        output_tokens=Distribution.of(s.output_tokens for s in ok),
        dispatch_lag_ms=Distribution.of((s.dispatch_lag_s for s in samples), 1000),
        goodput=Goodput(
            requests=good, ratio=good / len(samples) if samples else 0.0, rps=_per_second(good, span)
        ),
        errors=dict(errors.most_common(TOP_ERRORS)),
    )


def windows(samples: Sequence[RequestSample], width_s: float) -> list[Window]:
    """Cut the run into windows of `width_s` by request start; empty windows are kept (gaps in a chart)."""
    if width_s <= 0:
        raise ValueError(f"window width must be positive (got {width_s})")
    if not samples:
        return []
    count = math.floor(max(s.start_s for s in samples) / width_s) + 1
    buckets: list[list[RequestSample]] = [[] for _ in range(count)]
    for sample in samples:
        buckets[math.floor(sample.start_s / width_s)].append(sample)
    result = []
    for number, bucket in enumerate(buckets):
        ok = [s for s in bucket if s.ok]
        result.append(Window(
            start_s=number * width_s,
            end_s=(number + 1) * width_s,
            requests=len(bucket),
            failed=len(bucket) - len(ok),
            ttft_ms=_ttft_ms(ok),
            itl_ms=_itl_ms(ok),
            e2e_ms=_e2e_ms(ok),
        ))
    return result
