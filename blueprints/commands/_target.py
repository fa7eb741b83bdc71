"""Arguments shared by every command that builds a platform: which preset, environment, regions and overrides."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from blueprints.errors import BlueprintError
from blueprints.presets import ENVIRONMENTS, deep_merge
from blueprints.program import PROJECT

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
    config = (yaml.safe_load(path.read_text()) or {}).get("config", {})
    preset = config.get(f"{PROJECT}:preset")
    if not preset:
        raise BlueprintError(f"{path}: config.{PROJECT}:preset is not set")
    return Target(
        preset=preset,
        environment=config.get(f"{PROJECT}:environment", "dev"),
        regions=config.get(f"{PROJECT}:regions"),
        overrides=config.get(f"{PROJECT}:overrides") or {},
    )


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
    for assignment in args.set:
        path, separator, raw = assignment.partition("=")
        if not separator:
            raise BlueprintError(f"--set: expected PATH=VALUE (got {assignment!r})")
        target.overrides = set_path(target.overrides, path.strip(), yaml.safe_load(raw))
    return target
