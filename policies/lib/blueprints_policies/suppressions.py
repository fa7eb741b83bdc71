"""Suppressions: a resource may be exempted from one policy only with a recorded, time-limited approval.

Each entry names the policy, the exact URNs it covers (no globs: a suppression never reaches a resource nobody
reviewed, children of a component included), who approved it, why, the ticket (or the README section / document
that justifies it when there is no ticket) and when it expires. Suppressed findings are not violations, but every
report lists them with their reason. An expired suppression suppresses nothing: the finding is reported again and
the stack-context-valid policy reports the expiry itself as a mandatory violation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "suppressions.yaml"
GLOB_CHARACTERS = "*?["
URN_PREFIX = "urn:pulumi:"


class SuppressionError(ValueError):
    """A suppressions file that cannot be trusted (one line naming the entry)."""


class Suppression(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    policy_id: str = Field(min_length=1)
    urns: tuple[str, ...] = Field(min_length=1, description="Exact URNs of the resources exempted.")
    approver: str = Field(min_length=2, description="Who accepted the risk (a team or a person).")
    reason: str = Field(min_length=20, description="Why the exemption is acceptable, for the reviewer.")
    ticket: str = Field(min_length=3, description="Tracking ticket, or the README section/document that justifies it.")
    expires: date = Field(description="Last day the suppression applies (YYYY-MM-DD).")

    @field_validator("urns")
    @classmethod
    def _exact(cls, urns: tuple[str, ...]) -> tuple[str, ...]:
        for urn in urns:
            if not urn.startswith(URN_PREFIX) or any(c in urn for c in GLOB_CHARACTERS):
                raise ValueError(f"{urn!r} is not an exact URN (urn:pulumi:<stack>::<project>::<type>::<name>, "
                                 "no wildcards)")
        return urns

    def expired(self, today: date) -> bool:
        return self.expires < today

    def describe(self) -> str:
        return f"{self.policy_id} (approver {self.approver}, ticket {self.ticket})"


def today() -> date:
    return datetime.now(UTC).date()


class Suppressions:
    def __init__(self, items: Sequence[Suppression] = (), on: date | None = None) -> None:
        self.items = tuple(items)
        self.on = on or today()
        """The day expiry is judged against (UTC today unless given)."""

    def find(self, policy_id: str, urn: str | None) -> Suppression | None:
        """The suppression naming exactly this resource for this policy, expired or not (see `expired`).
        Stack-wide findings (no URN) cannot be suppressed."""
        if not urn:
            return None
        return next((s for s in self.items if s.policy_id == policy_id and urn in s.urns), None)

    def expired(self) -> list[Suppression]:
        return [s for s in self.items if s.expired(self.on)]


def _entry_name(index: int, raw: object) -> str:
    policy = raw.get("policy_id") if isinstance(raw, dict) else None
    return f"entry {index + 1}" + (f" ({policy})" if policy else "")


def load(path: Path = DEFAULT_FILE, on: date | None = None) -> Suppressions:
    """Reads a YAML list of suppressions; a missing file means none. Raises SuppressionError with one line naming
    the file and entry for anything that is not a complete, exact suppression."""
    if not path.exists():
        return Suppressions(on=on)
    raw = yaml.safe_load(path.read_text()) or []
    if not isinstance(raw, list):
        raise SuppressionError(f"{path}: expected a list of suppressions")
    items = []
    for index, entry in enumerate(raw):
        try:
            items.append(Suppression.model_validate(entry))
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}"
                                 for e in error.errors())
            raise SuppressionError(f"{path}: {_entry_name(index, entry)}: {problems} (required: policy_id, urns, "
                                   "approver, reason, ticket, expires)") from None
    return Suppressions(items, on=on)
