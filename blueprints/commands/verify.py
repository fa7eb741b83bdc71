"""`python -m blueprints verify --stack S`: after `pulumi up`, call the platform through its gateway and print a
pass/fail line per check (alive, auth, models, health, streaming, cache, alert rules). Exit 1 when one fails."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from blueprints.commands._target import STACKS_DIR
from blueprints.operations.report import checks_table
from blueprints.operations.stack_file import StackFile
from blueprints.operations.verify import Gateway, Verifier, gateway_url, read_outputs

NAME = "verify"
HELP = "After `pulumi up`: check the deployed stack through its gateway and Prometheus (exit 1 on a failure)."
KEY_VARIABLE = "BLUEPRINTS_API_KEY"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True, help="stack name (its config file gives the spec)")
    parser.add_argument("--stacks-dir", type=Path, default=STACKS_DIR, help="default: the repository's stacks/")
    parser.add_argument("--outputs", type=Path,
                        help="JSON of `pulumi stack output --json --show-secrets` (default: ask the pulumi CLI)")
    parser.add_argument("--region", help="check this region's gateway (default: the global or primary one)")
    parser.add_argument("--api-key", default=os.environ.get(KEY_VARIABLE),
                        help=f"gateway key for the authenticated calls (default: ${KEY_VARIABLE})")
    parser.add_argument("--model", help="model for the completion probes (default: the first self-hosted model)")
    parser.add_argument("--prometheus-url", help="Prometheus base URL (default: the prometheus_url output)")
    parser.add_argument("--expect-rule", action="append", default=[], metavar="ALERT",
                        help="an alerting rule that must be loaded (repeatable)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    spec = StackFile.load(args.stack, args.stacks_dir).spec()
    outputs = read_outputs(args.stack, args.outputs)
    url = gateway_url(outputs, args.region)
    verifier = Verifier(
        spec,
        Gateway(url, args.api_key, args.timeout) if url else None,
        where=args.region or ("global" if outputs.get("gateway_url") else spec.regions[0]),
        prometheus_url=args.prometheus_url or outputs.get("prometheus_url"),
        model=args.model,
        expected_rules=tuple(args.expect_rule),
    )
    rows = verifier.run()
    failed = [row for row in rows if row.status == "fail"]
    if args.format == "json":
        print(json.dumps({"stack": args.stack, "passed": not failed, "checks": [r.model_dump() for r in rows]},
                         indent=2))
    else:
        print(checks_table(rows))
        print(f"\nverify {args.stack}: " + (f"{len(failed)} check(s) FAILED" if failed else "all checks passed"))
    return 1 if failed else 0
