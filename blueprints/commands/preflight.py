"""`python -m blueprints preflight`: read-only AWS checks that the account can build a preset before `pulumi up`
(regions, GPU offerings, vCPU quotas, Bedrock models, serving images, model artifacts). Exit 1 on blockers."""

from __future__ import annotations

import argparse
import json

from blueprints.commands._target import add_target_arguments, resolve_target
from blueprints.operations.aws import client
from blueprints.operations.preflight import Preflight
from blueprints.operations.report import checks_table
from blueprints.presets import load_spec

NAME = "preflight"
HELP = "Check AWS capacity, quotas, Bedrock models, images and model artifacts for a preset (exit 1 on blockers)."


def configure(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    target = resolve_target(args)
    spec = load_spec(target.preset, target.environment, overrides=target.overrides, regions=target.regions)
    rows = Preflight(spec, client).run()
    blockers = [row for row in rows if row.status == "fail"]
    if args.format == "json":
        print(json.dumps({
            "preset": spec.preset, "environment": spec.environment, "regions": spec.regions,
            "passed": not blockers, "checks": [row.model_dump() for row in rows],
        }, indent=2))
    else:
        print(checks_table(rows))
        warnings = sum(1 for row in rows if row.status == "warn")
        verdict = f"{len(blockers)} blocker(s)" if blockers else "no blockers"
        print(f"\npreflight {spec.preset}/{spec.environment}: {verdict}, {warnings} warning(s)")
    return 1 if blockers else 0
