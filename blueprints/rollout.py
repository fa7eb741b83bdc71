"""Which versions of a self-hosted model run, their traffic weights and replica bounds (pure).

Canary: the stable version takes `100 - candidate_weight` percent and the candidate the rest, split by the
gateway over the per-version Services; the candidate's replica bounds shrink with its share. Blue-green: both
versions run at full size and `active` takes everything; the model's Service selects the active version, so
switching `active` back is the rollback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from blueprints.spec import ModelSpec, ModelVersionsSpec, PlatformSpec

Role = Literal["stable", "candidate"]


@dataclass(frozen=True)
class VersionPlan:
    version: str
    role: Role
    weight: int
    """Percent of the model's requests this version receives."""
    min_replicas: int
    max_replicas: int


def versions_of(model: ModelSpec) -> ModelVersionsSpec:
    if model.versions is None:
        raise ValueError(f"model {model.name!r} has no versions (bedrock models are not deployed)")
    return model.versions


def primary_version(model: ModelSpec) -> str:
    """The version the model's own Service selects: stable for a canary, the active one for blue-green."""
    versions = versions_of(model)
    if versions.strategy == "blue-green" and versions.active == "candidate" and versions.candidate:
        return versions.candidate
    return versions.stable


def version_plans(spec: PlatformSpec, model: ModelSpec) -> list[VersionPlan]:
    """Stable first, then the candidate when there is one."""
    versions = versions_of(model)
    minimum, maximum = spec.min_replicas(model), model.max_replicas or 1
    if versions.candidate is None:
        return [VersionPlan(versions.stable, "stable", 100, minimum, maximum)]
    if versions.strategy == "blue-green":
        active = versions.active
        return [
            VersionPlan(versions.stable, "stable", 100 if active == "stable" else 0, minimum, maximum),
            VersionPlan(versions.candidate, "candidate", 100 if active == "candidate" else 0, minimum, maximum),
        ]
    # A canary scales with its share of the traffic but keeps the environment's replica floor (2 in prod): it
    # serves real requests, and one pod's restart must not fail its whole share.
    share = versions.candidate_weight
    candidate_max = max(minimum, math.ceil(maximum * share / 100))
    return [
        VersionPlan(versions.stable, "stable", 100 - share, minimum, maximum),
        VersionPlan(versions.candidate, "candidate", share, minimum, candidate_max),
    ]
