"""The files of a load test: summary JSON (report and gate verdicts), per-request and per-window CSV, and a
chart."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from blueprints.loadtest.chart import render_chart
from blueprints.loadtest.gates import GateResult
from blueprints.loadtest.metrics import Window
from blueprints.loadtest.protocol import RequestSample
from blueprints.loadtest.report import AddedLatencyReport, LoadTestReport

REQUEST_COLUMNS = (
    "index", "endpoint", "start_s", "ok", "status", "error", "input_tokens", "max_tokens", "output_tokens",
    "ttft_ms", "tpot_ms", "itl_mean_ms", "itl_max_ms", "e2e_ms", "dispatch_lag_ms",
)
WINDOW_MEASURES = ("ttft", "itl", "e2e")
WINDOW_STATS = ("p50", "p90", "p95", "p99")
WINDOW_COLUMNS = (
    "start_s", "end_s", "requests", "failed",
    *(f"{measure}_{stat}_ms" for measure in WINDOW_MEASURES for stat in WINDOW_STATS),
)


def _ms(seconds: float | None) -> float | str:
    return "" if seconds is None else round(seconds * 1000, 3)


def _request_row(sample: RequestSample) -> dict[str, object]:
    gaps = sample.itl_s
    return {
        "index": sample.index,
        "endpoint": sample.endpoint,
        "start_s": round(sample.start_s, 6),
        "ok": sample.ok,
        "status": sample.status,
        "error": sample.error or "",
        "input_tokens": sample.input_tokens,
        "max_tokens": sample.max_tokens,
        "output_tokens": sample.output_tokens,
        "ttft_ms": _ms(sample.ttft_s),
        "tpot_ms": _ms(sample.tpot_s),
        "itl_mean_ms": _ms(sum(gaps) / len(gaps) if gaps else None),
        "itl_max_ms": _ms(max(gaps) if gaps else None),
        "e2e_ms": _ms(sample.e2e_s),
        "dispatch_lag_ms": _ms(sample.dispatch_lag_s),
    }


def _window_row(window: Window) -> dict[str, object]:
    row: dict[str, object] = {
        "start_s": window.start_s, "end_s": window.end_s, "requests": window.requests, "failed": window.failed
    }
    for measure in WINDOW_MEASURES:
        distribution = getattr(window, f"{measure}_ms")
        for stat in WINDOW_STATS:
            value = getattr(distribution, stat)
            row[f"{measure}_{stat}_ms"] = "" if value is None else round(value, 3)
    return row


def _write_csv(path: Path, rows: list[dict[str, object]], columns: tuple[str, ...]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def write_report(report: LoadTestReport, results: list[GateResult], out_dir: Path) -> list[Path]:
    """Write summary.json (report and gate verdicts), requests.csv, windows.csv and chart.html to out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    gate_results = [result.model_dump(mode="json") for result in results]
    summary = {**report.model_dump(mode="json"), "gate_results": gate_results}
    paths = {name: out_dir / name for name in ("summary.json", "requests.csv", "windows.csv", "chart.html")}
    paths["summary.json"].write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    _write_csv(paths["requests.csv"], [_request_row(s) for s in report.samples], REQUEST_COLUMNS)
    _write_csv(paths["windows.csv"], [_window_row(w) for w in report.windows], WINDOW_COLUMNS)
    paths["chart.html"].write_text(render_chart(report, results), encoding="utf-8")
    return list(paths.values())


def write_added_latency(report: AddedLatencyReport, results: list[GateResult], out_dir: Path) -> list[Path]:
    """The gateway's files in out_dir (gated), the direct run's in out_dir/direct, and added_latency.json."""
    paths = write_report(report.gateway, results, out_dir)
    paths += write_report(report.direct, [], out_dir / "direct")
    added = out_dir / "added_latency.json"
    added.write_text(json.dumps(report.added.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
    return [*paths, added]
