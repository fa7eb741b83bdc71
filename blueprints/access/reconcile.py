"""`python -m blueprints.access.reconcile`: make the gateway's teams what the spec declares (the key reconciler Job).

Reads the desired state from the JSON file named by `ACCESS_TEAMS_FILE` (DesiredTeams: the teams, and the
platform's own team and workload keys; mounted from the Job's ConfigMap), the gateway's base URL from `GATEWAY_URL`
and the master key from `LITELLM_MASTER_KEY`. Idempotent: missing teams are created, teams whose models, budget,
period, limits or blocked flag differ are updated (only the fields that differ), and teams this reconciler created
that the spec no longer declares are blocked, never deleted: their keys stop working and their spend history stays.
Teams created by hand (without the `managed_by` marker in their metadata) are left alone. Then each platform
workload gets its own virtual key (blueprints.access.workload_keys), kept across runs. A second run with the same
file changes nothing. Exit codes: 0 done, 2 bad input or gateway failure (one line on stderr).
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from blueprints.access.admin_api import AdminApi, Team
from blueprints.access.workload_keys import KeyChange, SecretsManagerStore, WorkloadKey, ensure_keys
from blueprints.errors import BlueprintError
from blueprints.teams import TeamSpec

TEAMS_FILE_ENV = "ACCESS_TEAMS_FILE"
GATEWAY_URL_ENV = "GATEWAY_URL"
MASTER_KEY_ENV = "LITELLM_MASTER_KEY"
MANAGED_BY_KEY = "managed_by"
MANAGED_BY = "blueprints-access"
"""Marker in a team's metadata: the reconciler created it, so it may block it when the spec drops it."""


class DesiredTeams(BaseModel):
    """The reconciler's input file."""

    model_config = ConfigDict(extra="forbid")

    teams: list[TeamSpec]
    workload_team: TeamSpec | None = None
    """The platform's own team: its workloads' keys (`workload_keys`) belong to it."""
    workload_keys: list[WorkloadKey] = []
    """One virtual key per platform workload, written into its Secrets Manager secret
    (blueprints.access.workload_keys)."""

    def all_teams(self) -> list[TeamSpec]:
        return [*self.teams, *([self.workload_team] if self.workload_team else [])]


class Change(BaseModel):
    team: str
    action: Literal["create", "update", "block"]
    fields: dict[str, Any] = {}

    def describe(self) -> str:
        details = ", ".join(f"{key}={value}" for key, value in self.fields.items() if key != "metadata")
        return f"{self.action} team {self.team}" + (f": {details}" if details else "")


def team_fields(team: TeamSpec) -> dict[str, Any]:
    """The LiteLLM team fields (NewTeamRequest / UpdateTeamRequest of 1.81.16) a declared team sets."""
    return {"team_alias": team.name, "models": team.models, "max_budget": team.max_budget_usd,
            "budget_duration": team.budget_duration, "rpm_limit": team.rpm_limit, "tpm_limit": team.tpm_limit,
            "blocked": team.blocked}


def _same(field: str, current: Any, desired: Any) -> bool:
    if field == "models":
        return sorted(current) == sorted(desired)
    if field == "max_budget" and current is not None and desired is not None:
        return math.isclose(current, desired, rel_tol=1e-9)
    return bool(current == desired)


def _managed(team: Team) -> bool:
    return (team.metadata or {}).get(MANAGED_BY_KEY) == MANAGED_BY


def plan(desired: Sequence[TeamSpec], current: Sequence[Team]) -> list[Change]:
    """The changes that make `current` (the gateway's teams) match `desired`, in order: declared teams first."""
    existing = {team.team_id: team for team in current}
    changes: list[Change] = []
    for team in desired:
        fields = team_fields(team)
        found = existing.get(team.name)
        if found is None:
            changes.append(Change(team=team.name, action="create",
                                  fields={**fields, "metadata": {MANAGED_BY_KEY: MANAGED_BY}}))
            continue
        differ = {key: value for key, value in fields.items() if not _same(key, getattr(found, key), value)}
        if not _managed(found):  # a hand-made team of the same name is adopted: from now on the spec owns it
            differ["metadata"] = {**(found.metadata or {}), MANAGED_BY_KEY: MANAGED_BY}
        if differ:
            changes.append(Change(team=team.name, action="update", fields=differ))
    declared = {team.name for team in desired}
    changes += [Change(team=team.team_id, action="block") for team in current
                if _managed(team) and team.team_id not in declared and not team.blocked]
    return changes


def apply(api: AdminApi, changes: Sequence[Change]) -> None:
    for change in changes:
        if change.action == "create":
            api.create_team(change.team, change.fields)
        elif change.action == "update":
            api.update_team(change.team, change.fields)
        else:
            api.block_team(change.team)


def reconcile(api: AdminApi, desired: Sequence[TeamSpec]) -> list[Change]:
    """Plan against the gateway's teams now and apply; returns what changed."""
    changes = plan(desired, api.teams())
    apply(api, changes)
    return changes


def load_desired(path: Path) -> DesiredTeams:
    try:
        return DesiredTeams.model_validate_json(path.read_bytes())
    except OSError as error:
        raise BlueprintError(f"{TEAMS_FILE_ENV}: cannot read {path}: {error.strerror or error}") from None
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(map(str, first["loc"]))
        raise BlueprintError(f"{path}: {where}: {first['msg']} ({error.error_count()} problems)") from None


def _environment(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise BlueprintError(f"{name}: not set (the reconciler Job sets it; see blueprints/access/manifests.py)")
    return value


def main() -> int:
    try:
        desired = load_desired(Path(_environment(TEAMS_FILE_ENV)))
        teams = desired.all_teams()
        with AdminApi(_environment(GATEWAY_URL_ENV), _environment(MASTER_KEY_ENV)) as api:
            changes = reconcile(api, teams)
            keys: list[KeyChange] = []
            if desired.workload_team and desired.workload_keys:
                keys = ensure_keys(api, SecretsManagerStore(), desired.workload_team.name, desired.workload_keys)
    except BlueprintError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in [change.describe() for change in changes] + [key.describe() for key in keys]:
        print(line)
    summary: dict[str, Any] = {"teams": len(teams), "changes": len(changes),
                               "actions": {action: sum(c.action == action for c in changes)
                                           for action in ("create", "update", "block")}}
    if keys:
        summary["keys"] = {action: sum(k.action == action for k in keys) for action in ("keep", "issue", "replace")}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
