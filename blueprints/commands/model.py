"""`python -m blueprints model publish|list|promote|rollback`: model versions in the artifacts bucket and in a
stack's rollout state."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from blueprints.artifacts.manifest import list_models, list_versions, read_manifest, verify_version
from blueprints.artifacts.publish import publish
from blueprints.catalog.gpus import PRECISIONS
from blueprints.commands._target import STACKS_DIR
from blueprints.errors import BlueprintError
from blueprints.operations import versions as moves
from blueprints.operations.aws import client
from blueprints.operations.history import RolloutRecord, history_path, read
from blueprints.operations.report import format_table
from blueprints.operations.stack_file import StackFile
from blueprints.progress import human_bytes

NAME = "model"
HELP = "Publish, list, promote and roll back model versions (artifacts bucket + stack rollout state)."
BUCKET_VARIABLE = "BLUEPRINTS_ARTIFACTS_BUCKET"


def _bucket_flag(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument(
        "--bucket", default=os.environ.get(BUCKET_VARIABLE), required=required and not os.environ.get(BUCKET_VARIABLE),
        help=f"artifacts bucket (default: ${BUCKET_VARIABLE})",
    )
    parser.add_argument("--region", help="bucket region (default: the configured AWS region)")


def _stack_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True, help="stack name: edits stacks/Pulumi.<stack>.yaml")
    parser.add_argument("--stacks-dir", type=Path, default=STACKS_DIR, help="default: the repository's stacks/")
    parser.add_argument("--model", required=True, help="served model name (serving.models[].name)")
    parser.add_argument("--reason", required=True, help="why: recorded in stacks/<stack>.rollouts.jsonl")
    parser.add_argument("--actor", help="who (default: $BLUEPRINTS_ACTOR, $GITHUB_ACTOR, ... or the user name)")


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    publish_parser = sub.add_parser("publish", help="upload a local checkpoint directory as a new version")
    publish_parser.add_argument("directory", type=Path, help="local checkpoint directory")
    _bucket_flag(publish_parser, required=True)
    publish_parser.add_argument("--model", required=True, help="served model name (serving.models[].name)")
    publish_parser.add_argument("--version", required=True, help="new version label, e.g. 2026-11-02 or v3")
    publish_parser.add_argument("--precision", required=True, choices=PRECISIONS)
    publish_parser.add_argument("--source", required=True, help="origin, e.g. nvidia/Llama-3.1-8B-Instruct-FP8")

    list_parser = sub.add_parser("list", help="list models, or one model's versions")
    _bucket_flag(list_parser, required=True)
    list_parser.add_argument("--model", help="list this model's versions (default: list models)")
    list_parser.add_argument("--format", choices=("text", "json"), default="text")

    promote_parser = sub.add_parser("promote", help="make a version stable, or start it as a canary")
    _stack_flags(promote_parser)
    promote_parser.add_argument("--version", required=True)
    promote_parser.add_argument("--canary", action="store_true",
                                help="deploy it as the candidate next to stable instead of replacing stable")
    promote_parser.add_argument("--weight", type=int, default=moves.DEFAULT_CANARY_STEPS[0],
                                help=f"with --canary: first traffic percent (default {moves.DEFAULT_CANARY_STEPS[0]})")
    _bucket_flag(promote_parser, required=False)

    rollback_parser = sub.add_parser(
        "rollback", help="abort the candidate, or (with none) return to the previous stable version"
    )
    _stack_flags(rollback_parser)


def run(args: argparse.Namespace) -> int:
    handlers = {"publish": _publish, "list": _list, "promote": _promote, "rollback": _rollback}
    return handlers[args.action](args)


def _publish(args: argparse.Namespace) -> int:
    result = publish(
        client("s3", args.region), args.bucket, args.directory, args.model, args.version, args.precision, args.source
    )
    manifest = result.manifest
    print(
        f"published {manifest.model} {manifest.version}: {len(manifest.files)} files, "
        f"{human_bytes(manifest.total_bytes)} (uploaded {len(result.uploaded)}, already there {len(result.skipped)})"
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    s3 = client("s3", args.region)
    if not args.model:
        models = list_models(s3, args.bucket)
        print(json.dumps(models) if args.format == "json" else "\n".join(models) or "no models")
        return 0
    rows = []
    for version in list_versions(s3, args.bucket, args.model):
        manifest = read_manifest(s3, args.bucket, args.model, version)
        rows.append({
            "version": version,
            "status": "published" if manifest else "incomplete",
            "precision": manifest.precision if manifest else None,
            "files": len(manifest.files) if manifest else None,
            "bytes": manifest.total_bytes if manifest else None,
            "created_at": manifest.created_at.isoformat() if manifest else None,
            "source": manifest.source if manifest else None,
        })
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"no versions of {args.model}")
        return 0
    header = ("VERSION", "STATUS", "PRECISION", "FILES", "SIZE", "CREATED", "SOURCE")
    print(format_table(header, [
        (row["version"], row["status"], row["precision"] or "-", str(row["files"] or "-"),
         human_bytes(row["bytes"]) if row["bytes"] is not None else "-", row["created_at"] or "-", row["source"] or "-")
        for row in rows
    ]))
    return 0


def _print_record(record: RolloutRecord) -> None:
    after = record.after
    candidate = f", candidate {after['candidate']} at {after['candidate_weight']}%" if after.get("candidate") else ""
    print(f"{record.action}: {record.model} stable {after['stable']}{candidate} (recorded by {record.actor})")


def _promote(args: argparse.Namespace) -> int:
    stack_file = StackFile.load(args.stack, args.stacks_dir)
    current = moves.current_versions(stack_file, args.model)
    if args.bucket:
        problems = verify_version(client("s3", args.region), args.bucket, args.model, args.version)
        if problems:
            raise BlueprintError(f"--version: {args.version!r} is not a complete published version: {problems[0]}")
    if args.canary:
        after, action = moves.start_candidate(current, args.version, args.weight), "canary"
    else:
        after, action = moves.promote(current, args.version), "promote"
    _print_record(moves.apply_change(stack_file, args.model, action, args.reason, after, actor=args.actor))
    return 0


def _rollback(args: argparse.Namespace) -> int:
    stack_file = StackFile.load(args.stack, args.stacks_dir)
    current = moves.current_versions(stack_file, args.model)
    if current.get("candidate"):
        after = moves.abort(current)
    else:
        records = read(history_path(stack_file.path, stack_file.stack))
        after = moves.promote(current, moves.previous_stable(records, args.model, current["stable"]))
    _print_record(moves.apply_change(stack_file, args.model, "rollback", args.reason, after, actor=args.actor))
    return 0
