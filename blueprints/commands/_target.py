"""Arguments shared by every command that builds a platform: which preset, environment, regions and overrides."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from blueprints.errors import BlueprintError
from blueprints.presets import ENVIRONMENTS, deep_merge
from blueprints.stack_config import load_document

STACKS_DIR = Path(__file__).resolve().parents[2] / "stacks"
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class Target(BaseModel):
    preset: str
    environment: str
    regions: list[str] | None = None
    overrides: dict[str, Any] = {}


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target")
    group.add_argument("--preset", help="scenario preset, e.g. regulated-industry")
    group.add_argument("--env", choices=ENVIRONMENTS, help="environment overlay (default dev)")
    group.add_argument("--regions", help="comma-separated AWS regions, primary first (default: the preset's)")
    group.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                       help="override one spec field, like `pulumi config set --path overrides.PATH VALUE`")
    group.add_argument("--stack",
                       help=f"read preset/environment/regions/overrides from {STACKS_DIR.name}/Pulumi.STACK.yaml")


def set_path(tree: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`serving.models[0].tp` = 2 -> {"serving": {"models": [{"tp": 2}]}}, merged into `tree` (pulumi --path rules)."""
    parts: list[str | int] = [int(index) if index else key for key, index in _PATH_PART.findall(path)]
    if not parts or "".join(str(p) for p in parts) == "":
        raise BlueprintError(f"--set: empty path in {path!r}")
    nested: Any = value
    for part in reversed(parts):
        nested = [*([{}] * part), nested] if isinstance(part, int) else {part: nested}
    return deep_merge(tree, nested)


def read_stack_file(stack: str) -> Target:
    path = STACKS_DIR / f"Pulumi.{stack}.yaml"
    if not path.exists():
        known = sorted(p.stem.removeprefix("Pulumi.") for p in STACKS_DIR.glob("Pulumi.*.yaml"))
        raise BlueprintError(f"--stack: no file {path} (known stacks: {', '.join(known) or 'none'})")
    settings = load_document(path)
    return Target(
        preset=settings["preset"],
        environment=settings.get("environment", "dev"),
        regions=settings.get("regions"),
        overrides=settings.get("overrides") or {},
    )


def check_writable(path: Path, flag: str, *, folder: bool) -> None:
    """Before any work: `path` (a folder made with its parents, or a file in an existing folder) can be written."""
    if not folder and not path.parent.is_dir():
        raise BlueprintError(f"{flag}: folder {path.parent} of {path} does not exist (create it first)")
    existing = next(p for p in (path, *path.parents) if p.exists())
    if existing == path and path.is_dir() != folder:
        wanted, found = ("folder", "file") if folder else ("file", "folder")
        raise BlueprintError(f"{flag}: {path} is a {found}; give a {wanted}")
    if existing != path and not existing.is_dir():
        raise BlueprintError(f"{flag}: cannot write {path}: {existing} is a file, not a folder")
    if not os.access(existing if existing.is_dir() else existing.parent, os.W_OK):
        raise BlueprintError(f"{flag}: cannot write {path}: {existing} is not writable")


def resolve_target(args: argparse.Namespace) -> Target:
    if args.stack:
        target = read_stack_file(args.stack)
    elif args.preset:
        target = Target(preset=args.preset, environment=args.env or "dev")
    else:
        raise BlueprintError("--preset or --stack is required")
    if args.env and args.stack:
        target.environment = args.env
    if args.regions:
        target.regions = [region.strip() for region in args.regions.split(",") if region.strip()]
        if not target.regions:
            raise BlueprintError(f"--regions: no region in {args.regions!r} (e.g. --regions eu-central-1,eu-west-1)")
    for assignment in args.set:
        path, separator, raw = assignment.partition("=")
        if not separator:
            raise BlueprintError(f"--set: expected PATH=VALUE (got {assignment!r})")
        target.overrides = set_path(target.overrides, path.strip(), yaml.safe_load(raw))
    return target
