"""`python -m blueprints images pin --stack S`: pin by digest every public image the stack runs with a tag only.

The stack is planned offline (the same graph `check --contracts` judges); each image the image-tags contract would
report as not pinned is looked up in the account's ECR pull-through cache in every region of the stack, and its
digest is written to `llm-platform:overrides.images.<key>` of `stacks/Pulumi.<stack>.yaml` (comments and key order
kept). Exit 0 when every image is pinned, 2 when a digest cannot be read (one line saying why)."""

from __future__ import annotations

import argparse
from pathlib import Path

from blueprints.commands._target import STACKS_DIR
from blueprints.contracts.images import unpinned
from blueprints.engine import program
from blueprints.operations.aws import client
from blueprints.operations.image_pins import cache_repository, resolve, write_digests
from blueprints.operations.stack_file import StackFile

NAME = "images"
HELP = "Pin the stack's public images by digest, read from the account's ECR pull-through cache."


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    pin = sub.add_parser("pin", help="write the digest of every image pulled by tag into the stack's overrides")
    pin.add_argument("--stack", required=True, help="stack name: edits stacks/Pulumi.<stack>.yaml")
    pin.add_argument("--stacks-dir", type=Path, default=STACKS_DIR, help="default: the repository's stacks/")
    pin.add_argument("--registry-id", help="account of the ECR registry (default: the caller's)")


def run(args: argparse.Namespace) -> int:
    stack = StackFile.load(args.stack, args.stacks_dir)
    spec = stack.spec()
    graph = program.build_graph(spec.preset, spec.environment, regions=stack.value("regions"),
                                overrides=stack.value("overrides"))
    keys = unpinned(graph)
    if not keys:
        print(f"images pin {args.stack}: every image is already pinned by digest")
        return 0
    digests = resolve(keys, spec.regions, client, args.registry_id)
    write_digests(stack, digests)
    stack.save()
    for key, digest in digests.items():
        repository, tag = cache_repository(key)
        print(f"  images.{key}: {digest}  ({repository}:{tag}, {', '.join(spec.regions)})")
    print(f"images pin {args.stack}: {len(digests)} digest(s) written to {stack.path}")
    return 0
