"""Percentiles, summaries, goodput and windows computed from hand-made samples."""

from __future__ import annotations

import pytest

from blueprints.loadtest import SloGates
from blueprints.loadtest.metrics import Distribution, percentile, summarize, windows
from tests.loadtest.synthetic import sample


def test_percentile_interpolates_linearly_between_closest_ranks() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 90) == pytest.approx(90.1)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 100.0


def test_percentile_does_not_depend_on_order_and_handles_one_value() -> None:
    assert percentile([3.0, 1.0, 2.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([7.0], 99) == 7.0


@pytest.mark.parametrize("values, q", [([], 50), ([1.0], 101), ([1.0], -1)])
def test_percentile_refuses_no_values_and_out_of_range_quantiles(values: list[float], q: float) -> None:
    with pytest.raises(ValueError):
        percentile(values, q)


def test_distribution_scales_to_milliseconds_and_is_empty_without_values() -> None:
    d = Distribution.of([0.1, 0.2, 0.3, 0.4], scale=1000)
    assert (d.count, d.mean, d.p50, d.max) == (4, pytest.approx(250), pytest.approx(250), pytest.approx(400))
    assert d.p90 == pytest.approx(370)
    assert Distribution.of([]) == Distribution(count=0)


def test_summary_measures_latencies_tokens_and_errors() -> None:
    samples = [sample(i, start_s=i * 0.1, ttft_s=0.1 * (i + 1), tokens=11, gap_s=0.02) for i in range(10)]
    samples.append(sample(10, start_s=1.0, ok=False))
    summary = summarize(samples, SloGates())
    assert (summary.requests, summary.succeeded, summary.failed) == (11, 10, 1)
    assert summary.error_ratio == pytest.approx(1 / 11)
    assert summary.ttft_ms.p50 == pytest.approx(550)
    assert summary.ttft_ms.p99 == pytest.approx(991)
    assert summary.itl_ms.count == 100
    assert summary.itl_ms.p50 == pytest.approx(20)
    assert summary.tpot_ms.p95 == pytest.approx(20)
    assert summary.e2e_ms.max == pytest.approx(1000 + 200)
    assert summary.output_tokens.p50 == 11
    # the last request ends at 0.9 + 1.0 + 0.2: the run spans 2.1 s
    assert summary.duration_s == pytest.approx(2.1)
    assert summary.output_throughput_tps == pytest.approx(110 / 2.1)
    assert summary.errors == {"HTTP 500: boom": 1}


def test_goodput_counts_successful_requests_within_every_slo() -> None:
    samples = [
        sample(0, ttft_s=0.1, gap_s=0.01),
        sample(1, ttft_s=0.5, gap_s=0.01),  # TTFT over the SLO
        sample(2, ttft_s=0.1, gap_s=0.05),  # TPOT over the SLO
        sample(3, ttft_s=0.1, tokens=1),  # one token: no TPOT to miss
        sample(4, ok=False),
    ]
    summary = summarize(samples, SloGates(ttft_p95_ms=200, tpot_p95_ms=20))
    assert summary.goodput.requests == 2
    assert summary.goodput.ratio == pytest.approx(2 / 5)
    assert summarize(samples, SloGates()).goodput.requests == 4, "without SLOs, every success counts"


def test_summary_of_no_samples_is_empty_not_an_error() -> None:
    summary = summarize([], SloGates())
    assert (summary.requests, summary.error_ratio, summary.ttft_ms.p50, summary.goodput.rps) == (0, 0.0, None, 0.0)


def test_windows_group_by_start_time_and_keep_empty_ones() -> None:
    samples = [sample(0, start_s=0.2, ttft_s=0.1), sample(1, start_s=0.7, ttft_s=0.3),
               sample(2, start_s=2.5, ttft_s=0.2), sample(3, start_s=2.6, ok=False)]
    result = windows(samples, 1.0)
    assert [(w.start_s, w.requests, w.failed) for w in result] == [(0.0, 2, 0), (1.0, 0, 0), (2.0, 2, 1)]
    assert result[0].ttft_ms.p50 == pytest.approx(200)
    assert result[1].ttft_ms.p50 is None
    with pytest.raises(ValueError):
        windows(samples, 0)
