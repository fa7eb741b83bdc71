"""Provenance of a check report: what was evaluated, with what, when: the project's git commit, each pack's
version (its PulumiPolicy.yaml), the stack config, the time, and the versions of the tools involved."""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

POLICIES = Path(__file__).resolve().parents[2]
ROOT = POLICIES.parent
DISTRIBUTIONS = ("llm-platform-blueprints", "pulumi", "pulumi-policy", "pulumi-aws", "pulumi-kubernetes", "pydantic")


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def commit() -> dict[str, Any]:
    """HEAD and whether tracked files differ from it (a report of uncommitted code says so)."""
    head = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {"commit": head, "dirty": bool(status) if status is not None else None}


def pack_version(pack: str) -> str | None:
    manifest = POLICIES / pack / "PulumiPolicy.yaml"
    return yaml.safe_load(manifest.read_text()).get("version") if manifest.exists() else None


def tools() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def collect(packs: Sequence[str], stack: Mapping[str, Any], at: datetime | None = None) -> dict[str, Any]:
    """`stack`: the evaluated stack as the report should state it (preset, environment, regions, overrides,
    frameworks claimed, the stack config itself)."""
    return {
        "generated_at": (at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "project": commit(),
        "packs": {pack: pack_version(pack) for pack in packs},
        "stack": dict(stack),
        "tools": tools(),
    }
