"""`python -m blueprints rollout step`: advance a model's candidate one step while its gates hold, roll it back
automatically when one fails. Meant for a CI/CD loop: run it every window until it says `promoted`."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from pydantic import ValidationError

from blueprints.commands._target import STACKS_DIR
from blueprints.errors import BlueprintError
from blueprints.operations import versions as moves
from blueprints.operations.metrics import GATED_ENGINES, MetricsSource, PrometheusQueries, PrometheusSource
from blueprints.operations.rollout import StepOutcome, Thresholds, step
from blueprints.operations.stack_file import StackFile

NAME = "rollout"
HELP = "Advance a canary / blue-green rollout one step while its SLO gates hold; roll back when one fails."
EXIT_CODES = {"advanced": 0, "promoted": 0, "held": 0, "rolled-back": 1}


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    step_parser = sub.add_parser("step", help="judge the candidate over the last window and move it one step")
    step_parser.add_argument("--stack", required=True, help="stack name: edits stacks/Pulumi.<stack>.yaml")
    step_parser.add_argument("--stacks-dir", type=Path, default=STACKS_DIR, help="default: the repository's stacks/")
    step_parser.add_argument("--model", required=True, help="served model name (serving.models[].name)")
    step_parser.add_argument("--steps", default=",".join(map(str, moves.DEFAULT_CANARY_STEPS)),
                             help="canary weights in percent (default 5,25,50,100)")
    step_parser.add_argument("--window-minutes", type=int, default=10, help="metrics window (default 10)")
    step_parser.add_argument("--actor", help="who (default: $BLUEPRINTS_ACTOR, $GITHUB_ACTOR, ... or the user name)")
    step_parser.add_argument("--format", choices=("text", "json"), default="text")
    source = step_parser.add_argument_group("metrics source: Prometheus (in-cluster, or Amazon Managed Prometheus)")
    source.add_argument("--prometheus-url",
                        help="Prometheus base URL, e.g. http://127.0.0.1:9090, or the AMP workspace's "
                             "https://aps-workspaces.<region>.amazonaws.com/workspaces/<id> (signed with SigV4)")
    source.add_argument("--sigv4-region",
                        help="sign queries with SigV4 for this region (default: the region of an AMP URL)")
    source.add_argument("--prometheus-queries", type=Path,
                        help="YAML/JSON overriding PromQL templates (keys of PrometheusQueries)")
    gates = step_parser.add_argument_group("gates (default thresholds: the model's SLOs in the spec)")
    gates.add_argument("--max-error-ratio", type=float)
    gates.add_argument("--ttft-p95-ms", type=float)
    gates.add_argument("--tpot-p95-ms", type=float)
    gates.add_argument("--min-requests", type=int, help="fewer in the window: hold (default 50)")
    gates.add_argument("--loadtest", type=Path, help="summary.json of `python -m blueprints loadtest --out DIR`")
    gates.add_argument("--eval", metavar="LOCATION",
                       help="directory or s3:// prefix written by `eval gate` (the eval Job): candidate must not be "
                            "worse than stable on the golden set")
    gates.add_argument("--eval-margin", type=float, help="non-inferiority margin on the pass rate (default 0.1)")


def _steps(text: str) -> tuple[int, ...]:
    try:
        steps = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise BlueprintError(f"--steps: not a list of percentages (got {text!r}; e.g. 5,25,50,100)") from None
    if list(steps) != sorted(set(steps)) or steps[0] <= 0 or steps[-1] != 100:
        raise BlueprintError(f"--steps: must rise strictly from above 0 to 100 (got {text!r}; e.g. 5,25,50,100)")
    return steps


def _source(args: argparse.Namespace, engine: str) -> MetricsSource:
    if not args.prometheus_url:
        raise BlueprintError("--prometheus-url: required (got none; e.g. http://127.0.0.1:9090 through a port-forward "
                             "to the in-cluster Prometheus, or the AMP workspace URL)")
    if engine not in GATED_ENGINES and not args.prometheus_queries:
        raise BlueprintError(f"--prometheus-queries: required with serving.engine {engine!r} (got none; its default "
                             "metrics have no per-version latency histogram: give ttft_p95_ms and tpot_p95_ms)")
    queries = PrometheusQueries()
    if args.prometheus_queries:
        try:
            queries = PrometheusQueries.model_validate(yaml.safe_load(args.prometheus_queries.read_text()) or {})
        except (OSError, yaml.YAMLError, ValidationError) as error:
            raise BlueprintError(f"--prometheus-queries: {error}") from None
    return PrometheusSource(args.prometheus_url, queries, sigv4_region=args.sigv4_region)


def _text(outcome: StepOutcome) -> str:
    before, after = outcome.before, outcome.after
    lines = [f"{outcome.model}: candidate {before['candidate']} at {moves.candidate_traffic(before)}% of traffic"]
    metrics = outcome.metrics
    lines.append(f"  requests in window: {metrics.requests if metrics.requests is not None else 'none measured'}")
    lines += [f"  {gate.describe()}" for gate in outcome.gates]
    verdicts = {
        "advanced": f"advanced: candidate {after['candidate']} now at {moves.candidate_traffic(after)}%",
        "promoted": f"promoted: {after['stable']} is now stable",
        "held": "held: too little traffic to judge; nothing changed",
        "rolled-back": f"ROLLED BACK: all traffic to stable {after['stable']}",
    }
    lines.append(verdicts[outcome.status])
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    stack_file = StackFile.load(args.stack, args.stacks_dir)
    steps = _steps(args.steps)
    if args.window_minutes < 1:
        raise BlueprintError(f"--window-minutes: must be at least 1 (got {args.window_minutes})")
    _, model = stack_file.model(args.model)
    thresholds = Thresholds.for_model(
        model, max_error_ratio=args.max_error_ratio, ttft_p95_ms=args.ttft_p95_ms, tpot_p95_ms=args.tpot_p95_ms,
        min_requests=args.min_requests, eval_margin=args.eval_margin,
    )
    outcome = step(
        stack_file, args.model, _source(args, stack_file.spec().serving.engine), thresholds,
        window=timedelta(minutes=args.window_minutes), now=datetime.now(UTC), steps=steps,
        loadtest=args.loadtest, evaluation=args.eval, actor=args.actor,
    )
    print(json.dumps(outcome.model_dump(mode="json"), indent=2) if args.format == "json" else _text(outcome))
    return EXIT_CODES[outcome.status]
