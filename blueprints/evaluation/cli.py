"""The `eval` command line: `python -m blueprints eval run|compare|gate`, and the same as `python -m
blueprints.evaluation ...` in the eval-runner image (which carries only the runtime modules)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from blueprints.errors import BlueprintError
from blueprints.evaluation import golden
from blueprints.evaluation.client import Prices
from blueprints.evaluation.compare import compare, table
from blueprints.evaluation.gate import Location, gate
from blueprints.evaluation.results import read
from blueprints.evaluation.runner import RunOptions, load_templates
from blueprints.evaluation.runner import run as run_eval

HELP = ("Evaluate a model on a golden set (run), gate a candidate against a baseline (compare), or both versions of "
        "a model through the gateway (gate).")
EXIT_NOT_WORSE, EXIT_WORSE = 0, 1


def _endpoint_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", required=True, help="OpenAI base URL, e.g. https://gateway.example.com/v1")
    parser.add_argument("--golden", required=True,
                        help=f"JSONL golden set, or a starter set: {', '.join(golden.starter_sets())}")
    parser.add_argument("--api-key-env", help="environment variable holding the API key (default: none sent)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each case (default 1)")
    parser.add_argument("--judge-model", help="model (same endpoint) that scores `judge` checks")


def _thresholds(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--margin", type=float, default=0.1, help="non-inferiority margin on the pass rate (0.1)")
    parser.add_argument("--alpha", type=float, default=0.05, help="one-sided significance level (0.05)")
    parser.add_argument("--power", type=float, default=0.8, help="power the set must have for the margin (0.8)")
    parser.add_argument("--discordance", type=float, default=0.05,
                        help="planned share of cases two equal versions disagree on (0.05)")


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = sub.add_parser("run", help="score one model of an OpenAI-compatible endpoint on a golden set")
    _endpoint_options(run)
    run.add_argument("--model", required=True, help="model name the endpoint serves")
    run.add_argument("--out", required=True, type=Path, help="result file (JSON); resumes from <out>.partial")
    run.add_argument("--temperature", type=float, default=0.0)
    run.add_argument("--timeout-s", type=float, default=120.0, help="per request (default 120)")
    run.add_argument("--templates", type=Path, help="rendered prompt-template directory, for cases with `template`")
    run.add_argument("--price-in", type=float, help="USD per million input tokens, when the endpoint reports no cost")
    run.add_argument("--price-out", type=float, help="USD per million output tokens")
    cmp = sub.add_parser("compare", help="paired non-inferiority test of CANDIDATE against BASELINE; exit 0 not "
                                         "worse, 1 worse, 2 unusable")
    cmp.add_argument("baseline", type=Path)
    cmp.add_argument("candidate", type=Path)
    _thresholds(cmp)
    cmp.add_argument("--format", choices=("text", "json"), default="text")
    gated = sub.add_parser("gate", help="evaluate <model>@<stable> and <model>@<candidate> through the gateway, "
                                        "compare, store both results and the verdict; exit 0 not worse, 1 worse")
    _endpoint_options(gated)
    gated.add_argument("--model", required=True, help="served model name (serving.models[].name)")
    gated.add_argument("--stable", required=True, help="stable version")
    gated.add_argument("--candidate", required=True, help="candidate version")
    gated.add_argument("--out", required=True, help="directory or s3://bucket/prefix for the three files")
    _thresholds(gated)


def _api_key(variable: str | None) -> str | None:
    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        raise BlueprintError(f"--api-key-env: environment variable {variable!r} is not set")
    return value


def _prices(args: argparse.Namespace) -> Prices | None:
    if (args.price_in is None) != (args.price_out is None):
        raise BlueprintError("--price-in/--price-out: give both or neither")
    return None if args.price_in is None else Prices(args.price_in, args.price_out)


def _run(args: argparse.Namespace) -> int:
    golden_set = golden.load(args.golden)
    options = RunOptions(
        endpoint=args.endpoint, model=args.model, out=args.out, api_key=_api_key(args.api_key_env),
        concurrency=args.concurrency, repeats=args.repeats, temperature=args.temperature, timeout_s=args.timeout_s,
        judge_model=args.judge_model, prices=_prices(args),
        templates=load_templates(args.templates) if args.templates else None,
    )
    result = run_eval(golden_set, options, stream=sys.stderr)
    summary = result.summary
    rates = ", ".join(f"{kind} {rate:.0%}" for kind, rate in summary.check_pass_rates.items())
    print(f"{args.model} on {golden_set.name} ({summary.cases} runs): passed {summary.pass_rate:.1%}, "
          f"{summary.errors} errors; {rates}; wrote {args.out}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    baseline, candidate = read(args.baseline, "BASELINE"), read(args.candidate, "CANDIDATE")
    result = compare(baseline, candidate, margin=args.margin, alpha=args.alpha, power=args.power,
                     discordance=args.discordance)
    if args.format == "json":
        print(json.dumps({**asdict(result), "not_worse": result.not_worse}, indent=2))
    else:
        print(table(result, baseline.run.model, candidate.run.model))
    return EXIT_NOT_WORSE if result.not_worse else EXIT_WORSE


def _gate(args: argparse.Namespace) -> int:
    options = RunOptions(endpoint=args.endpoint, model="", out=Path("unused"), api_key=_api_key(args.api_key_env),
                         concurrency=args.concurrency, repeats=args.repeats, judge_model=args.judge_model)
    verdict = gate(golden.load(args.golden), options, args.model, args.stable, args.candidate, Location(args.out),
                   stream=sys.stderr, margin=args.margin, alpha=args.alpha, power=args.power,
                   discordance=args.discordance)
    print(verdict.model_dump_json())  # one line: the Job's log is part of the audit trail
    return EXIT_NOT_WORSE if verdict.not_worse else EXIT_WORSE


def run(args: argparse.Namespace) -> int:
    return {"run": _run, "compare": _compare, "gate": _gate}[args.action](args)


def main(argv: list[str] | None = None) -> int:
    """The image's entry point: bad input is one line on stderr and exit 2, as in `python -m blueprints`."""
    parser = argparse.ArgumentParser(prog="python -m blueprints.evaluation", description=HELP)
    configure(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except BlueprintError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
