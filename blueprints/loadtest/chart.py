"""The chart of a load test: one self-contained HTML page (inline SVG, no scripts, no dependencies) with the
p50/p95/p99 of TTFT, inter-token latency and end-to-end latency per time window, the summary and the gates."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from blueprints.loadtest.gates import GateResult
from blueprints.loadtest.metrics import Distribution, Window
from blueprints.loadtest.report import LoadTestReport

WIDTH, HEIGHT = 880, 210
LEFT, RIGHT, TOP, BOTTOM = 70, 110, 30, 36
SERIES = (("p50", "#1f77b4"), ("p95", "#ff7f0e"), ("p99", "#d62728"))
PANELS = (("ttft_ms", "Time to first token (ms)"), ("itl_ms", "Inter-token latency (ms)"),
          ("e2e_ms", "End-to-end latency (ms)"))
TABLE_ROWS = (("ttft_ms", "TTFT (ms)"), ("itl_ms", "ITL (ms)"), ("tpot_ms", "TPOT (ms)"),
              ("e2e_ms", "E2E (ms)"), ("output_tokens_per_s", "output tokens/s per request"))


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about `ticks` intervals over `span`."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _segments(points: Sequence[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """Split a series at missing values, so windows without data leave gaps."""
    segments: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if y is None:
            segments.append([])
        else:
            segments[-1].append((x, y))
    return [segment for segment in segments if segment]


def _panel(windows: Sequence[Window], measure: str, title: str, threshold: tuple[str, float] | None) -> str:
    distributions: list[tuple[float, Distribution]] = [
        ((w.start_s + w.end_s) / 2, getattr(w, measure)) for w in windows
    ]
    values = [v for _, d in distributions for stat, _ in SERIES if (v := getattr(d, stat)) is not None]
    top_value = max([*values, threshold[1] if threshold else 0.0, 1e-9])
    y_step = nice_step(top_value)
    y_max = y_step * math.ceil(top_value / y_step)
    x_max = max((w.end_s for w in windows), default=1.0)
    x_step = nice_step(x_max, 8)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + plot_w * x / x_max

    def sy(y: float) -> float:
        return TOP + plot_h * (1 - y / y_max)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
             f'<text x="{LEFT}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>']
    for i in range(math.floor(y_max / y_step) + 1):
        y = sy(i * y_step)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#e5e5e5"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(i * y_step, 0)}</text>')
    for i in range(math.floor(x_max / x_step) + 1):
        x = sx(i * x_step)
        parts.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{i * x_step:g}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 4}" text-anchor="middle">'
                 f'seconds since start (window {windows[0].end_s - windows[0].start_s:g} s)</text>'
                 if windows else "")
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>')
    if threshold:
        label, limit = threshold
        y = sy(limit)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#555" '
                     f'stroke-dasharray="5,4"/><text x="{LEFT + plot_w + 6}" y="{y + 4:.1f}">'
                     f'{escape(label)}</text>')
    for row, (stat, color) in enumerate(SERIES):
        points = [(x, getattr(d, stat)) for x, d in distributions]
        for segment in _segments(points):
            coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in segment)
            parts.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"/>')
            parts.extend(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="{color}"/>'
                         for x, y in segment)
        legend_y = TOP + 12 + row * 16
        parts.append(f'<line x1="{LEFT + plot_w + 8}" y1="{legend_y - 4}" x2="{LEFT + plot_w + 26}" '
                     f'y2="{legend_y - 4}" stroke="{color}" stroke-width="2"/>'
                     f'<text x="{LEFT + plot_w + 30}" y="{legend_y}">{stat}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _summary_table(report: LoadTestReport) -> str:
    summary = report.summary
    header = "".join(f"<th>{name}</th>" for name in ("", "p50", "p90", "p95", "p99", "mean", "count"))
    rows = []
    for measure, label in TABLE_ROWS:
        d: Distribution = getattr(summary, measure)
        cells = "".join(f"<td>{_fmt(v)}</td>" for v in (d.p50, d.p90, d.p95, d.p99, d.mean))
        rows.append(f"<tr><th>{escape(label)}</th>{cells}<td>{d.count}</td></tr>")
    return f"<table><tr>{header}</tr>{''.join(rows)}</table>"


def _facts(report: LoadTestReport) -> str:
    s = report.summary
    facts = [
        f"{s.requests} requests, {s.failed} failed (error ratio {s.error_ratio:.2%}) in {s.duration_s:.1f} s",
        f"request rate {s.request_rate_rps:.2f}/s, output throughput {s.output_throughput_tps:,.1f} tokens/s",
        f"goodput {s.goodput.requests} requests ({s.goodput.ratio:.1%}), {s.goodput.rps:.2f}/s",
    ]
    facts += [f"error ({count}x): {escape(message)}" for message, count in s.errors.items()]
    return "<ul>" + "".join(f"<li>{fact}</li>" for fact in facts) + "</ul>"


def _gates(results: Sequence[GateResult]) -> str:
    if not results:
        return "<p>No SLO gates set.</p>"
    items = "".join(
        f'<li class="{"pass" if r.passed else "fail"}">{escape(r.describe())}</li>' for r in results
    )
    return f"<ul>{items}</ul>"


def render_chart(report: LoadTestReport, results: Sequence[GateResult]) -> str:
    ttft_gate = report.gates.ttft_p95_ms
    panels = "".join(
        _panel(report.windows, measure, title,
               ("p95 gate", ttft_gate) if measure == "ttft_ms" and ttft_gate is not None else None)
        for measure, title in PANELS
    )
    target = report.target
    title = f"Load test of {target.model} at {target.base_url}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}"
        "td,th{border:1px solid #ccc;padding:3px 10px;text-align:right}li.fail{color:#b00;font-weight:bold}"
        "li.pass{color:#070}svg{display:block;margin:12px 0}"
        f"</style></head><body><h1>{escape(title)}</h1>"
        f"<p>Started {report.started_at.isoformat(timespec='seconds')}; "
        f"arrivals: {escape(report.workload.arrivals.model_dump_json())}</p>"
        f"<h2>SLO gates</h2>{_gates(results)}<h2>Summary</h2>{_facts(report)}{_summary_table(report)}"
        f"<h2>Over time</h2>{panels}</body></html>\n"
    )
