"""`render`: write every generated artifact (manifests, Helm values, configs, rule files, AWS inputs) to a folder."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from blueprints.commands._target import add_target_arguments, resolve_target
from blueprints.engine import program
from blueprints.render import check_output_folder, write_artifacts

NAME = "render"
HELP = "write every generated artifact of a preset as files, with an index.json listing each file and its kind"


def configure(parser: argparse.ArgumentParser) -> None:
    add_target_arguments(parser)
    parser.add_argument("--out", required=True,
                        help="output folder: new, empty, or written by an earlier render (its files are replaced)")


def run(args: argparse.Namespace) -> int:
    out = check_output_folder(args.out)
    target = resolve_target(args)
    graph = program.build_graph(target.preset, target.environment, target.regions, target.overrides)
    index = write_artifacts(graph, out)
    kinds = Counter(artifact.kind for artifact in index)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    print(f"wrote {len(index)} files for {len({a.urn for a in index})} resources to {out}: {summary}", file=sys.stderr)
    return 0
