"""Report files: summary JSON, request and window CSVs, and the chart page."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from blueprints.loadtest import AddedLatencyReport, SloGates, evaluate_gates, write_added_latency, write_report
from blueprints.loadtest.chart import nice_step, render_chart
from tests.loadtest.synthetic import report, sample

SAMPLES = [sample(i, start_s=i * 0.5, ttft_s=0.1 + 0.01 * i, gap_s=0.02) for i in range(8)] + [
    sample(8, start_s=4.2, ok=False)]


def test_window_width_defaults_to_a_thirtieth_of_the_run_but_at_least_a_second() -> None:
    assert report(SAMPLES).window_s == 1.0
    long_run = [sample(0, start_s=0), sample(1, start_s=119.0)]
    assert report(long_run).window_s == pytest.approx((119.0 + 0.2) / 30)
    assert report(SAMPLES, window_s=0.5).window_s == 0.5


def test_files_hold_the_summary_gates_requests_and_windows(tmp_path: Path) -> None:
    gated = report(SAMPLES, SloGates(ttft_p95_ms=200, max_error_ratio=0.0))
    results = evaluate_gates(gated, gated.gates)
    paths = write_report(gated, results, tmp_path / "out")
    assert sorted(p.name for p in paths) == ["chart.html", "requests.csv", "summary.json", "windows.csv"]

    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["summary"]["requests"] == 9
    assert summary["summary"]["ttft_ms"]["p50"] == pytest.approx(135)
    assert [(g["gate"], g["passed"]) for g in summary["gate_results"]] == [
        ("ttft_p95_ms", True), ("max_error_ratio", False)]
    assert "samples" not in summary
    assert summary["target"] == {"name": "target", "base_url": "http://127.0.0.1:9/v1", "model": "m"}

    with (tmp_path / "out" / "requests.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 9
    assert rows[0]["ttft_ms"] == "100.0" and rows[0]["tpot_ms"] == "20.0" and rows[0]["ok"] == "True"
    assert rows[8]["ok"] == "False" and rows[8]["error"] == "HTTP 500: boom" and rows[8]["ttft_ms"] == ""

    with (tmp_path / "out" / "windows.csv").open() as handle:
        windows = list(csv.DictReader(handle))
    assert [int(w["requests"]) for w in windows] == [2, 2, 2, 2, 1]
    assert float(windows[0]["ttft_p50_ms"]) == pytest.approx(105)
    assert windows[4]["ttft_p50_ms"] == "", "a window with only failures has no latency"


def test_chart_plots_three_panels_of_three_percentiles_with_the_ttft_gate() -> None:
    gated = report(SAMPLES, SloGates(ttft_p95_ms=200))
    page = render_chart(gated, evaluate_gates(gated, gated.gates))
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert page.count("<svg") == 3
    # windows 0-3 have data, window 4 only a failure: one unbroken line per percentile per panel
    assert page.count("<polyline") == 9
    assert "p95 gate" in page
    assert "pass  ttft_p95_ms" in page
    first_line = re.search(r'<polyline points="([^"]+)"', page)
    assert first_line is not None and len(first_line.group(1).split()) == 4


def test_nice_step_gives_round_ticks() -> None:
    assert [nice_step(v) for v in (1.0, 7.0, 42.0, 980.0, 0.0)] == [0.2, 2.0, 10.0, 200.0, 1.0]


def test_added_latency_is_the_difference_of_medians(tmp_path: Path) -> None:
    direct = report([sample(i, ttft_s=0.1, gap_s=0.01) for i in range(5)])
    gateway = report([sample(i, ttft_s=0.13, gap_s=0.011) for i in range(5)])
    comparison = AddedLatencyReport.build(direct=direct, gateway=gateway)
    assert comparison.added.ttft_p50_ms == pytest.approx(30)
    assert comparison.added.itl_p50_ms == pytest.approx(1)
    assert comparison.added.e2e_p50_ms == pytest.approx(30 + 10 * 1)
    write_added_latency(comparison, [], tmp_path)
    assert json.loads((tmp_path / "added_latency.json").read_text())["ttft_p50_ms"] == pytest.approx(30)
    assert (tmp_path / "direct" / "summary.json").is_file() and (tmp_path / "summary.json").is_file()
