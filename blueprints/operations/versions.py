"""Moves of a model's rollout state (`serving.models[].versions`) and the one way they are written.

The state is the spec's `versions` block (`blueprints.spec.ModelVersionsSpec`): `stable`, `candidate` (the
version being rolled out, or None), `candidate_weight` (canary: percent of requests the candidate gets),
`strategy` and `active` (blue-green: which of the two full-size deployments takes every request). A canary
climbs the weight steps and is promoted from 100 %; a blue-green candidate is cut over (`active: candidate`) in
one step and promoted on the next. Every move is a pure function of the state; `apply_change` writes the stack
file, then appends the history record, so the history never claims a change the file lacks.
"""

from __future__ import annotations

from typing import Any

from blueprints.errors import BlueprintError
from blueprints.operations import history
from blueprints.operations.stack_file import StackFile

DEFAULT_CANARY_STEPS = (5, 25, 50, 100)

Versions = dict[str, Any]


def current_versions(stack_file: StackFile, model: str) -> Versions:
    _, spec = stack_file.model(model)
    if spec.versions is None:
        raise BlueprintError(f"--model: {model!r} is hosted on Bedrock; only self-hosted models have versions")
    return spec.versions.model_dump(mode="json")


def candidate_traffic(versions: Versions) -> int:
    """Percent of requests the candidate receives now."""
    if not versions.get("candidate"):
        return 0
    if versions["strategy"] == "blue-green":
        return 100 if versions["active"] == "candidate" else 0
    return int(versions["candidate_weight"])


def start_candidate(versions: Versions, version: str, weight: int) -> Versions:
    """Deploy `version` next to the stable one with `weight` percent of traffic (blue-green: none until cut-over)."""
    if version == versions["stable"]:
        raise BlueprintError(f"--version: {version!r} is already the stable version")
    if versions.get("candidate") not in (None, version):
        raise BlueprintError(
            f"--version: {versions['candidate']!r} is being rolled out; finish it (`rollout step`, "
            "`model promote` with its version) or abort it (`model rollback`) first"
        )
    if not 0 <= weight <= 100:
        raise BlueprintError(f"--weight: must be a percentage (got {weight}; allowed: 0..100)")
    start = 0 if versions["strategy"] == "blue-green" else weight
    return {**versions, "candidate": version, "candidate_weight": start, "active": "stable"}


def promote(versions: Versions, version: str) -> Versions:
    """`version` becomes stable and takes all traffic; any candidate is retired."""
    return {**versions, "stable": version, "candidate": None, "candidate_weight": 0, "active": "stable"}


def abort(versions: Versions) -> Versions:
    """Send all traffic back to the stable version and retire the candidate."""
    return {**versions, "candidate": None, "candidate_weight": 0, "active": "stable"}


def next_weight(versions: Versions, steps: tuple[int, ...]) -> int | None:
    """Canary: the next step above the current weight; None when the candidate already takes all traffic."""
    higher = [step for step in steps if step > versions["candidate_weight"]]
    return min(higher) if higher else None


def advance(versions: Versions, steps: tuple[int, ...]) -> tuple[Versions, history.Action]:
    """One step: the next canary weight or the blue-green cut-over; from full traffic, promotion to stable."""
    if not versions.get("candidate"):
        raise BlueprintError(
            "--model: no candidate version is being rolled out (start one with `model promote --canary`)"
        )
    if versions["strategy"] == "blue-green":
        if versions["active"] == "stable":
            return {**versions, "active": "candidate"}, "step"
        return promote(versions, versions["candidate"]), "promote"
    weight = next_weight(versions, steps)
    if weight is None:
        return promote(versions, versions["candidate"]), "promote"
    return {**versions, "candidate_weight": weight}, "step"


def previous_stable(records: list[history.RolloutRecord], model: str, stable: str) -> str:
    """The stable version before `stable`, from the newest promotion that made `stable` stable (rollbacks are
    skipped, so rolling back twice walks further back instead of undoing the first rollback)."""
    for record in reversed(records):
        before = record.before.get("stable")
        promoted = record.action == "promote" and record.after.get("stable") == stable
        if record.model == model and promoted and before not in (None, stable):
            return str(before)
    raise BlueprintError(
        f"--model: no earlier stable version of {model!r} in the rollout history; "
        "promote the version to return to with `model promote --version V`"
    )


def apply_change(
    stack_file: StackFile,
    model: str,
    action: history.Action,
    reason: str,
    after: Versions,
    gates: list[dict[str, Any]] | None = None,
    actor: str | None = None,
) -> history.RolloutRecord:
    before = current_versions(stack_file, model)
    stack_file.set_model_versions(model, after)
    stack_file.save()
    record = history.new_record(
        actor=actor, stack=stack_file.stack, model=model, action=action, reason=reason,
        before=before, after=current_versions(stack_file, model), gates=gates or [],
    )
    history.append(history.history_path(stack_file.path, stack_file.stack), record)
    return record
