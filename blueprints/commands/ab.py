"""`python -m blueprints ab report`: compare the variants of an A/B experiment (blueprints/experiments/report.py)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from blueprints.errors import BlueprintError
from blueprints.evaluation.results import read
from blueprints.experiments.report import add_eval, add_feedback, add_ratings, collect, report, request_ids, table

NAME = "ab"
HELP = "A/B experiments by user segment: compare variants on latency, cost, feedback and eval scores (report)."


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    rep = sub.add_parser("report", help="each variant's figures and its difference to the baseline, with "
                                        "confidence intervals")
    rep.add_argument("--requests", required=True, type=Path,
                     help="the gateway's request records (LiteLLM standard logging payloads, JSON lines)")
    ratings = rep.add_mutually_exclusive_group()
    ratings.add_argument("--feedback", type=Path, help="feedback records {request_id, rating: 1|-1} (JSON lines)")
    ratings.add_argument("--feedback-table", metavar="TABLE",
                         help="the feedback service's DynamoDB table (stack output; boto3's standard configuration)")
    rep.add_argument("--eval", action="append", default=[], metavar="VARIANT=RESULT.json",
                     help="an `eval run` result of a variant (repeatable)")
    rep.add_argument("--experiment", help="experiment name (needed when the records hold several)")
    rep.add_argument("--baseline", help="variant the others are compared with (default: control, else the first)")
    rep.add_argument("--alpha", type=float, default=0.05, help="1 - confidence level of the intervals (0.05)")
    rep.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    if not 0 < args.alpha < 1:
        raise BlueprintError(f"--alpha: {args.alpha} (allowed: between 0 and 1, e.g. 0.05)")
    experiment, samples = collect(args.requests, args.experiment)
    if args.feedback:
        add_feedback(samples, args.feedback)
    if args.feedback_table:
        add_ratings(samples, stored_ratings(args.feedback_table, request_ids(samples)))
    for item in args.eval:
        variant, separator, path = item.partition("=")
        if not separator or not variant or not path:
            raise BlueprintError(f"--eval: {item!r} (allowed: VARIANT=RESULT.json)")
        add_eval(samples, variant, read(Path(path), "--eval"))
    result = report(experiment, samples, args.baseline, args.alpha)
    print(json.dumps(asdict(result), indent=2) if args.format == "json" else table(result))
    return 0


def stored_ratings(table: str, ids: set[str]) -> dict[str, int]:
    """The ratings the feedback service stored for these requests."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from blueprints.feedback.store import FeedbackStore

    try:
        return FeedbackStore(boto3.client("dynamodb"), table).ratings(ids)
    except ClientError as error:
        raise BlueprintError(f"--feedback-table: {table} ({error.response['Error'].get('Message') or error})") from None
    except BotoCoreError as error:
        raise BlueprintError(f"--feedback-table: {table} ({error})") from None
