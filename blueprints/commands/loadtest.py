"""`python -m blueprints loadtest`: load an OpenAI-compatible endpoint with streaming chat completions, write
the report files and exit 1 when an SLO gate fails."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from blueprints.commands._target import check_writable
from blueprints.errors import BlueprintError, GateFailed
from blueprints.loadtest.config import LoadTestConfig, Target
from blueprints.loadtest.files import write_added_latency, write_report
from blueprints.loadtest.gates import GateResult, SloGates, enforce_gates
from blueprints.loadtest.metrics import Distribution
from blueprints.loadtest.report import AddedLatencyReport, LoadTestReport, evaluate_gates
from blueprints.loadtest.runner import Progress, measure_added_latency, run_loadtest
from blueprints.loadtest.workload import (
    MAX_DURATION_S,
    Fixed,
    FixedConcurrency,
    LogNormal,
    Normal,
    PoissonArrivals,
    Uniform,
    Workload,
)
from blueprints.presets import ENVIRONMENTS, load_spec

NAME = "loadtest"
HELP = "Load-test an OpenAI-compatible endpoint (locust): latency percentiles, goodput, SLO gates, reports."

LENGTH_SYNTAX = "N | fixed:N | uniform:LOW:HIGH | normal:MEAN:SD:LOW:HIGH | lognormal:MEDIAN:SIGMA:LOW:HIGH"
_LENGTHS: dict[str, tuple[type[Fixed | Uniform | Normal | LogNormal], tuple[str, ...]]] = {
    "fixed": (Fixed, ("value",)),
    "uniform": (Uniform, ("low", "high")),
    "normal": (Normal, ("mean", "stddev", "low", "high")),
    "lognormal": (LogNormal, ("median", "sigma", "low", "high")),
}
_FLAGS = {
    "base_url": "--base-url", "model": "--model", "rate_rps": "--rate", "max_in_flight": "--max-in-flight",
    "users": "--concurrency", "duration_s": "--duration", "max_requests": "--max-requests",
    "request_timeout_s": "--request-timeout", "ttft_p95_ms": "--ttft-p95-ms",
    "tpot_p95_ms": "--tpot-p95-ms", "max_error_ratio": "--max-error-ratio", "window_s": "--window",
    "progress_interval_s": "--progress-interval",
}
DIRECT_NAME = "direct"
GATEWAY_NAME = "gateway"


def configure(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("target")
    target.add_argument("--base-url", required=True, help="the OpenAI base URL, e.g. http://127.0.0.1:4000/v1")
    target.add_argument("--model", required=True, help="the `model` to ask for")
    target.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY"),
                        help="sent as a Bearer token (default: $OPENAI_API_KEY)")
    load = parser.add_argument_group("load (every run ends at --duration or --max-requests)")
    arrivals = load.add_mutually_exclusive_group(required=True)
    arrivals.add_argument("--rate", type=float, metavar="RPS", help="Poisson arrivals, requests/s")
    arrivals.add_argument("--concurrency", type=int, metavar="N", help="N users, each sending back to back")
    load.add_argument("--max-in-flight", type=int, default=256, metavar="N",
                      help="with --rate: most requests open at once (default 256)")
    load.add_argument("--input-tokens", default="fixed:128", metavar="DIST",
                      help=f"prompt length: {LENGTH_SYNTAX}")
    load.add_argument("--output-tokens", default="fixed:128", metavar="DIST",
                      help="max_tokens of each request, same syntax")
    load.add_argument("--ignore-eos", action="store_true",
                      help="ask the server to generate exactly max_tokens (vLLM / TensorRT-LLM extension)")
    load.add_argument("--duration", type=float, default=60.0, metavar="S",
                      help=f"seconds of sending (default 60, at most {MAX_DURATION_S:.0f})")
    load.add_argument("--max-requests", type=int, default=1000, metavar="N", help="default 1000")
    load.add_argument("--request-timeout", type=float, default=60.0, metavar="S", help="default 60")
    load.add_argument("--seed", type=int, default=0, help="same seed: same prompts, lengths, arrivals")
    gates = parser.add_argument_group("SLO gates (exit 1 if one fails; TTFT and TPOT also define goodput)")
    gates.add_argument("--preset", help="take the gates from this preset's SLOs for --model (flags below win)")
    gates.add_argument("--env", choices=ENVIRONMENTS, default="prod", help="environment of --preset (default prod)")
    gates.add_argument("--ttft-p95-ms", type=float, metavar="MS")
    gates.add_argument("--tpot-p95-ms", type=float, metavar="MS", help="time per output token after the 1st")
    gates.add_argument("--max-error-ratio", type=float, metavar="R", help="e.g. 0.01")
    compare = parser.add_argument_group(
        "gateway added latency: send the same load directly to the backend too, interleaved in the same run")
    compare.add_argument("--direct-base-url", metavar="URL", help="the backend behind --base-url")
    compare.add_argument("--direct-model", help="its model name (default: --model)")
    compare.add_argument("--direct-api-key", help="its key (default: none)")
    output = parser.add_argument_group("output")
    output.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="summary.json, requests.csv, windows.csv, chart.html")
    output.add_argument("--window", type=float, metavar="S", help="time window width (default: run/30)")
    output.add_argument("--progress-interval", type=float, default=5.0, metavar="S", help="default 5")


def parse_length(text: str, flag: str) -> Fixed | Uniform | Normal | LogNormal:
    """A length distribution in `LENGTH_SYNTAX`."""
    cleaned = text.strip().lower()
    kind, _, rest = ("fixed", "", cleaned) if cleaned.isdigit() else cleaned.partition(":")
    values = rest.split(":") if rest else []
    model, fields = _LENGTHS.get(kind, (None, ()))
    if model is None or len(values) != len(fields):
        raise BlueprintError(f"{flag}: not a length distribution (got {text!r}; allowed: {LENGTH_SYNTAX})")
    try:
        return model.model_validate(dict(zip(fields, values, strict=True)))
    except ValidationError as error:
        raise BlueprintError(f"{flag}: {_problem(error)} (allowed: {LENGTH_SYNTAX})") from None


def _problem(error: ValidationError) -> str:
    """The first problem of a validation error, named by its command-line flag where it has one."""
    first = error.errors()[0]
    field = str(first["loc"][-1]) if first["loc"] else ""
    where = _FLAGS.get(field, field)
    message = str(first["msg"]).removeprefix("Value error, ")
    if "(got " not in message and not isinstance(first["input"], dict):
        message += f" (got {first['input']!r})"
    return f"{where}: {message}" if where else message


def build_config(args: argparse.Namespace) -> LoadTestConfig:
    """The run described by the command line; bad values raise BlueprintError naming the flag."""
    input_tokens = parse_length(args.input_tokens, "--input-tokens")
    output_tokens = parse_length(args.output_tokens, "--output-tokens")
    try:
        arrivals = (
            PoissonArrivals(rate_rps=args.rate, max_in_flight=args.max_in_flight)
            if args.rate is not None else FixedConcurrency(users=args.concurrency)
        )
        workload = Workload(
            arrivals=arrivals, input_tokens=input_tokens, output_tokens=output_tokens,
            duration_s=args.duration, max_requests=args.max_requests, request_timeout_s=args.request_timeout,
            seed=args.seed, ignore_eos=args.ignore_eos,
        )
        name = GATEWAY_NAME if args.direct_base_url else "target"
        return LoadTestConfig(
            target=Target(name=name, base_url=args.base_url, model=args.model, api_key=args.api_key),
            workload=workload,
            gates=_gates(args),
            window_s=args.window,
            progress_interval_s=args.progress_interval,
        )
    except ValidationError as error:
        raise BlueprintError(_problem(error)) from None


def _gates(args: argparse.Namespace) -> SloGates:
    """Gates from the preset's SLOs for the model under test, each overridden by its flag when given."""
    gates: dict[str, float | None] = {}
    if args.preset:
        spec = load_spec(args.preset, args.env)
        model = next((m for m in spec.serving.models if m.name == args.model), None)
        if model is None:
            names = ", ".join(m.name for m in spec.serving.models)
            raise BlueprintError(f"--model: {args.model!r} is not a model of preset {args.preset} (allowed: {names})")
        gates = model.slo.model_dump(include=set(SloGates.model_fields))
    flags = {"ttft_p95_ms": args.ttft_p95_ms, "tpot_p95_ms": args.tpot_p95_ms, "max_error_ratio": args.max_error_ratio}
    return SloGates(**{**gates, **{key: value for key, value in flags.items() if value is not None}})


def _direct_target(args: argparse.Namespace) -> Target:
    try:
        return Target(name=DIRECT_NAME, base_url=args.direct_base_url, model=args.direct_model or args.model,
                      api_key=args.direct_api_key)
    except ValidationError as error:
        raise BlueprintError("--direct-" + _problem(error).removeprefix("--")) from None


def _print_progress(progress: Progress) -> None:
    print(progress.line(), file=sys.stderr, flush=True)


def _row(label: str, d: Distribution) -> str:
    cells = "".join("         -" if v is None else f"{v:10.1f}" for v in (d.p50, d.p90, d.p95, d.p99))
    return f"  {label:<22}{cells}"


def print_summary(report: LoadTestReport, results: list[GateResult]) -> None:
    s = report.summary
    print(f"{report.target.name}: {report.target.model} at {report.target.base_url}")
    print(f"  {s.requests} requests in {s.duration_s:.1f} s, {s.failed} failed "
          f"(error ratio {s.error_ratio:.2%}); goodput {s.goodput.requests} "
          f"({s.goodput.ratio:.1%}, {s.goodput.rps:.2f}/s); "
          f"output {s.output_throughput_tps:.1f} tokens/s")
    print(f"  {'':<22}{'p50':>10}{'p90':>10}{'p95':>10}{'p99':>10}")
    for label, distribution in (("TTFT ms", s.ttft_ms), ("ITL ms", s.itl_ms), ("TPOT ms", s.tpot_ms),
                                ("E2E ms", s.e2e_ms), ("output tokens/s/req", s.output_tokens_per_s)):
        print(_row(label, distribution))
    for message, count in s.errors.items():
        print(f"  error ({count}x): {message}")
    for result in results:
        print(f"  {result.describe()}")


def _added_line(comparison: AddedLatencyReport) -> str:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:+.1f} ms"

    added = comparison.added
    return (f"gateway added latency (median, gateway - direct): TTFT {ms(added.ttft_p50_ms)}, "
            f"ITL {ms(added.itl_p50_ms)}, E2E {ms(added.e2e_p50_ms)}")


def check_reachable(base_url: str, flag: str, timeout_s: float) -> None:
    """A TCP connection to the endpoint before any load: a closed port is bad input, not a run of 100% errors."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout_s).close()
    except OSError as error:
        raise BlueprintError(f"{flag}: cannot connect to {parts.hostname}:{port} "
                             f"({error.strerror or error}); is the server up?") from None


def all_failed(report: LoadTestReport) -> bool:
    return report.summary.requests > 0 and report.summary.failed == report.summary.requests


def run(args: argparse.Namespace) -> int:
    config = build_config(args)
    check_writable(args.out, "--out", folder=True)
    probe_timeout = min(config.workload.request_timeout_s, 10.0)
    direct = _direct_target(args) if args.direct_base_url else None
    check_reachable(config.target.base_url, "--base-url", probe_timeout)
    if direct is not None:
        check_reachable(direct.base_url, "--direct-base-url", probe_timeout)
        comparison = measure_added_latency(config, direct, _print_progress)
        results = evaluate_gates(comparison.gateway, config.gates)
        paths = write_added_latency(comparison, results, args.out)
        print_summary(comparison.direct, [])
        print_summary(comparison.gateway, results)
        print(_added_line(comparison))
    else:
        report = run_loadtest(config, _print_progress)
        results = evaluate_gates(report, config.gates)
        paths = write_report(report, results, args.out)
        print_summary(report, results)
    print("wrote " + ", ".join(str(path) for path in paths))
    try:
        enforce_gates(results)
    except GateFailed as failure:
        print(failure, file=sys.stderr)
        return failure.exit_code
    measured = comparison.gateway if direct is not None else report
    if all_failed(measured):  # no gate asked about errors, yet nothing worked: not a pass
        print(f"error: --base-url: all {measured.summary.requests} requests failed", file=sys.stderr)
        return GateFailed.exit_code
    return 0
