"""The shapes every part of the policy library shares: policy metadata, the resource view checks read,
the stack context, findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["low", "medium", "high", "critical"]
Kind = Literal["resource", "stack"]
Enforcement = Literal["advisory", "mandatory", "remediate", "disabled"]
ENFORCEMENT_RANK: dict[str, int] = {"disabled": 0, "advisory": 1, "mandatory": 2, "remediate": 2}


class PolicyMeta(BaseModel):
    """One policy as a reviewer reads it. `controls` maps a framework name (see controls.FRAMEWORKS) to the
    control IDs this policy provides evidence for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str
    severity: Severity
    kind: Kind
    applies_to: tuple[str, ...] = Field(min_length=1)
    rationale: str
    remediation: str
    controls: dict[str, tuple[str, ...]]
    exceptions: str | None = None
    """Exceptions built into the check itself (e.g. for GPU pods), stated for reviewers."""


@dataclass(frozen=True)
class Res:
    """A resource as a check sees it: wire-form (camelCase) properties plus its place in the graph."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    region: str | None = None


PROJECT = "llm-platform"
"""The Pulumi project (Pulumi.yaml `name`) whose stack config the packs read."""
ENVIRONMENTS = ("dev", "staging", "prod")
"""The values stack config `environment` may take (blueprints.spec.Environment)."""


class MissingStackConfig(ValueError):
    """A policy's verdict depends on stack config that is absent or not an allowed value (fail closed)."""


def environment_problem(environment: Any) -> str | None:
    """Why `environment` cannot be evaluated, as the one line a user reads; None when it is allowed."""
    fix = f"set it with pulumi config set environment <{'|'.join(ENVIRONMENTS)}>"
    if environment is None or environment == "":
        return f"stack config {PROJECT}:environment missing; {fix}"
    if environment not in ENVIRONMENTS:
        return f"stack config {PROJECT}:environment is {environment!r}, not one of {', '.join(ENVIRONMENTS)}; {fix}"
    return None


@dataclass(frozen=True)
class StackContext:
    """What a policy may know about the stack besides its resources (from policy config or stack config).

    `environment` is the raw value; policies read it through `is_prod`, which raises MissingStackConfig when it is
    missing or not allowed, so a prod-only check reports "cannot evaluate" instead of passing."""

    environment: Any = None
    residency: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    expired_suppressions: tuple[str, ...] = ()
    """One line per suppression in force whose expiry has passed (reported by stack-context-valid)."""

    @property
    def is_prod(self) -> bool:
        problem = environment_problem(self.environment)
        if problem:
            raise MissingStackConfig(problem)
        return self.environment == "prod"


@dataclass(frozen=True)
class Finding:
    """A violation reported by a stack check; `urn` None means the stack as a whole."""

    message: str
    urn: str | None = None
