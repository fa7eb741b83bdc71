"""Upstream artifacts the tests read (Helm charts, CRD files), from the git-ignored `.vendor/` that `make vendor`
fills and checks against blueprints/upstream.lock.yaml. Nothing else outside the repository is read: an artifact
that is not there fails the test with one line saying how to get it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / ".vendor"
LOCK = ROOT / "blueprints" / "upstream.lock.yaml"
HOW = "run `make vendor` (offline: BLUEPRINTS_MIRROR=/path/to/mirror make vendor)"


def vendored(relpath: str) -> Path:
    """`.vendor/<relpath>`, e.g. `vendored("charts/keda-2.20.2.tgz")`; fails the test when it is missing."""
    path = VENDOR / relpath
    if not path.exists():
        pytest.fail(f".vendor/{relpath} is missing: {HOW}", pytrace=False)
    return path


@cache
def _locked_crds() -> tuple[str, ...]:
    return tuple(sorted(yaml.safe_load(LOCK.read_text())["crds"]))


def crd_files() -> list[Path]:
    """Every CRD file the lock pins (`.vendor/crds/<project>/<group>_<plural>.yaml`); fails when one is missing."""
    return [vendored(f"crds/{path}") for path in _locked_crds()]
