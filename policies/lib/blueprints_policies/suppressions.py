"""Suppressions: a resource may be exempted from one policy only with a written reason.

A suppression names the policy and a scope: a URN glob, a resource-name glob, or both (both must match).
It applies to the resource it matches and to everything beneath it (children inherit from their parent
components). Suppressed findings are not violations, but every report lists them with their reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "suppressions.yaml"


class Suppression(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    policy_id: str
    reason: str = Field(min_length=20, description="Why the exemption is acceptable, for the reviewer.")
    urn: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _scoped(self) -> Suppression:
        if not (self.urn or self.name):
            raise ValueError(f"suppression of {self.policy_id!r} needs a scope: urn and/or name glob")
        return self

    def matches(self, urn: str) -> bool:
        name = urn.rsplit("::", 1)[-1]
        return (self.urn is None or fnmatchcase(urn, self.urn)) and (
            self.name is None or fnmatchcase(name, self.name))


class Suppressions:
    def __init__(self, items: Sequence[Suppression] = ()) -> None:
        self.items = tuple(items)

    def find(self, policy_id: str, urn: str | None, ancestors: Sequence[str] = ()) -> Suppression | None:
        """The suppression covering this finding: on the resource itself or on any ancestor component.
        Stack-wide findings (no URN) can only be suppressed by a scope that matches the stack URN."""
        candidates = [u for u in (urn, *ancestors) if u]
        for item in self.items:
            if item.policy_id == policy_id and any(item.matches(c) for c in candidates):
                return item
        return None


def load(path: Path = DEFAULT_FILE) -> Suppressions:
    """Reads a YAML list of suppressions; a missing file means none."""
    if not path.exists():
        return Suppressions()
    raw = yaml.safe_load(path.read_text()) or []
    return Suppressions(TypeAdapter(list[Suppression]).validate_python(raw))
