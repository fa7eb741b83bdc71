"""The rollout history of a stack: `stacks/<stack>.rollouts.jsonl`, one JSON record per change, appended only.

Each record says who changed which model's versions, when, why, from what to what, and (for automatic steps)
the gate results that decided it. `model rollback` reads it to find the stable version before the current one.
"""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Action = Literal["canary", "step", "promote", "rollback", "auto-rollback"]
ACTOR_VARIABLES = ("BLUEPRINTS_ACTOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_REQUESTEDFOR")
"""Checked in order for who made a change (CI systems set one of these); else the local user name."""


class RolloutRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: datetime
    actor: str
    stack: str
    model: str
    action: Action
    reason: str
    before: dict[str, Any]
    """The model's `versions` block before the change."""
    after: dict[str, Any]
    gates: list[dict[str, Any]] = Field(default_factory=list)
    """Gate results that decided an automatic step or rollback."""


def history_path(stack_file: Path, stack: str) -> Path:
    return stack_file.parent / f"{stack}.rollouts.jsonl"


def current_actor() -> str:
    for variable in ACTOR_VARIABLES:
        if os.environ.get(variable):
            return os.environ[variable]
    return getpass.getuser()


def new_record(**fields: Any) -> RolloutRecord:
    return RolloutRecord(at=datetime.now(UTC), actor=fields.pop("actor", None) or current_actor(), **fields)


def append(path: Path, record: RolloutRecord) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(record.model_dump_json() + "\n")


def read(path: Path) -> list[RolloutRecord]:
    if not path.is_file():
        return []
    return [RolloutRecord.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
