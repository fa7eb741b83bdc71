"""`python -m blueprints size`: the capacity and cost planner from the command line."""

from __future__ import annotations

import argparse
import json

from pydantic import BaseModel

from blueprints.catalog.gpus import PRECISIONS, gpu_named
from blueprints.catalog.hosted import hosted_named
from blueprints.catalog.instances import CAPACITY_TYPES
from blueprints.catalog.models import model_named
from blueprints.errors import BlueprintError
from blueprints.sizing import max_throughput, size_deployment

NAME = "size"
HELP = "Estimate a model deployment's throughput, replicas, instances and monthly cost."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model catalog name, e.g. llama-3.3-70b")
    parser.add_argument("--gpu", required=True, help="GPU family: H100, H200, B200, A100, L40S, L4, A10G")
    parser.add_argument("--tp", type=int, default=1, help="tensor-parallel GPUs per replica (default 1)")
    parser.add_argument("--precision", default="fp8", help=f"one of {', '.join(PRECISIONS)} (default fp8)")
    parser.add_argument("--isl", type=int, required=True, help="input (prompt) tokens per request")
    parser.add_argument("--osl", type=int, required=True, help="output tokens per request")
    parser.add_argument(
        "--max-throughput",
        action="store_true",
        help="maximum output tokens/s of one replica, no SLO (NVIDIA's published benchmark setting)",
    )
    parser.add_argument("--rps", type=float, help="requests per second to serve (sizing mode)")
    parser.add_argument("--ttft-ms", type=float, help="p95 time-to-first-token SLO, ms (sizing mode)")
    parser.add_argument("--tpot-ms", type=float, help="p95 time-per-output-token SLO, ms (sizing mode)")
    parser.add_argument("--hosted", help="hosted (Amazon Bedrock) model to compare the cost against")
    parser.add_argument(
        "--capacity-type", default="on-demand", help=f"one of {', '.join(CAPACITY_TYPES)} (default on-demand)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _table(result: BaseModel) -> str:
    fields = result.model_dump()
    width = max(len(name) for name in fields)
    lines = []
    for name, value in fields.items():
        shown = f"{value:,.2f}" if isinstance(value, float) else str(value)
        lines.append(f"{name.ljust(width)}  {shown}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    model = model_named(args.model, "--model")
    gpu = gpu_named(args.gpu, "--gpu")
    if args.precision not in PRECISIONS:
        allowed = ", ".join(PRECISIONS)
        raise BlueprintError(f"--precision: unknown (got {args.precision!r}; allowed: {allowed})")
    if args.max_throughput:
        result: BaseModel = max_throughput(model, gpu, args.tp, args.precision, args.isl, args.osl)
    else:
        missing = [flag for flag in ("rps", "ttft_ms", "tpot_ms") if getattr(args, flag) is None]
        if missing:
            flags = ", ".join("--" + flag.replace("_", "-") for flag in missing)
            raise BlueprintError(f"{flags}: required without --max-throughput (got none)")
        if args.capacity_type not in CAPACITY_TYPES:
            raise BlueprintError(
                f"--capacity-type: unknown (got {args.capacity_type!r}; allowed: {', '.join(CAPACITY_TYPES)})"
            )
        result = size_deployment(
            model,
            gpu,
            args.tp,
            args.precision,
            requests_per_second=args.rps,
            input_tokens=args.isl,
            output_tokens=args.osl,
            ttft_p95_ms=args.ttft_ms,
            tpot_p95_ms=args.tpot_ms,
            hosted=hosted_named(args.hosted, "--hosted") if args.hosted else None,
            capacity_type=args.capacity_type,
        )
    print(json.dumps(result.model_dump(), indent=2) if args.json else _table(result))
    return 0
