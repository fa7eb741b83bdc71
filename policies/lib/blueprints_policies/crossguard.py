"""Turns registry entries into pulumi_policy policies (the objects a pack's PolicyPack serves and the offline
evaluator calls), with fail-closed checks and suppressions applied in one place."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from . import tokens
from .context import resolve_context
from .model import Finding, MissingStackConfig, Res, StackContext
from .registry import RegisteredPolicy
from .suppressions import Suppression, Suppressions

CANNOT_EVALUATE = "cannot evaluate"
ENFORCEMENT = {level.value: level for level in EnforcementLevel}

SuppressedSink = Callable[[str, str | None, str, Suppression], None]
"""(policy_id, urn, message, suppression) for each finding a suppression covered."""


def _ignore(policy_id: str, urn: str | None, message: str, suppression: Suppression) -> None:
    return None


@dataclass(frozen=True)
class Hooks:
    """What differs between the pack process (defaults) and the offline evaluator."""

    suppressions: Suppressions = field(default_factory=Suppressions)
    on_suppressed: SuppressedSink = _ignore

    def route(self, policy_id: str, urn: str | None, message: str, report: Callable[[str, str | None], None]) -> None:
        """Reports a finding unless a suppression in force names its resource; an expired one suppresses nothing
        and says so in the message."""
        suppression = self.suppressions.find(policy_id, urn)
        if suppression is None:
            report(message, urn)
        elif suppression.expired(self.suppressions.on):
            report(f"{message} (suppression by {suppression.approver}, ticket {suppression.ticket}, expired on "
                   f"{suppression.expires})", urn)
        else:
            self.on_suppressed(policy_id, urn, message, suppression)


def region_of(resource_type: str, props: Mapping[str, Any], provider_props: Mapping[str, Any] | None) -> str | None:
    """An AWS resource's region: its own `region` (pulumi-aws v7) or its provider's."""
    if resource_type == tokens.AWS_PROVIDER:
        return props.get("region")
    if not resource_type.startswith("aws:"):
        return None
    return props.get("region") or (provider_props or {}).get("region")


def to_res(resource: PolicyResource) -> Res:
    provider_props = resource.provider.props if resource.provider else None
    return Res(
        type=resource.resource_type,
        name=resource.name,
        urn=resource.urn,
        props=resource.props,
        parent=resource.parent.urn if resource.parent else None,
        dependencies=tuple(d.urn for d in resource.dependencies),
        region=region_of(resource.resource_type, resource.props, provider_props),
    )


class _Views:
    """The check views of the last stack's resources: every stack policy of a run gets the same list of
    PolicyResources, so it is converted once, not once per policy (a few tens of policies over ~1000 resources).
    The list is held, so its identity cannot be reused by another; each caller gets its own copy."""

    def __init__(self) -> None:
        self._of: tuple[Sequence[PolicyResource], int, list[Res]] | None = None

    def __call__(self, resources: Sequence[PolicyResource]) -> list[Res]:
        if self._of is None or self._of[0] is not resources or self._of[1] != len(resources):
            self._of = (resources, len(resources), [to_res(r) for r in resources])
        return list(self._of[2])


_views = _Views()


def _safely(policy_id: str, produce: Callable[[], Iterable[Any]]) -> list[Any]:
    """Runs a check to completion; any error becomes a "cannot evaluate" finding (fail closed). Unknown
    values during preview propagate, so the engine reports "can't run policy" as it does for any pack."""
    try:
        return list(produce())
    except UnknownValueError:
        raise
    except MissingStackConfig as error:
        return [f"{CANNOT_EVALUATE}: {error}"]
    except Exception as error:
        return [f"{CANNOT_EVALUATE}: {type(error).__name__}: {error}"]


def _description(policy: RegisteredPolicy) -> str:
    return f"{policy.meta.title}. {policy.meta.rationale}"


def _common(policy: RegisteredPolicy) -> dict[str, Any]:
    meta = policy.meta
    frameworks = sorted(meta.controls)
    tags = [f"{framework}:{control}" for framework in frameworks for control in meta.controls[framework]]
    return {
        "display_name": meta.title,
        "severity": Severity(meta.severity),
        # The field holds one framework: name all of them (and every control) rather than the first alone.
        "framework": PolicyComplianceFramework(name=", ".join(frameworks), specification="; ".join(tags))
        if frameworks else None,
        "tags": tags,
        "remediation_steps": meta.remediation,
    }


def resource_policy(policy: RegisteredPolicy, level: str, hooks: Hooks = Hooks()) -> ResourceValidationPolicy:
    meta = policy.meta

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in meta.applies_to:
            return
        messages = _safely(meta.id, lambda: policy.check(args.resource_type, args.props,
                                                         resolve_context(args.get_config())))
        for message in messages:
            hooks.route(meta.id, args.urn, message, lambda text, _urn: report_violation(text, None))

    remediate = None
    if policy.remediate is not None:
        remediate_fn = policy.remediate

        def remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
            if args.resource_type not in meta.applies_to:
                return None
            messages = _safely(meta.id, lambda: policy.check(args.resource_type, args.props,
                                                             resolve_context(args.get_config())))
            if not messages or any(m.startswith(CANNOT_EVALUATE) for m in messages):
                return None
            return remediate_fn(args.resource_type, dict(args.props), resolve_context(args.get_config()))

    return ResourceValidationPolicy(
        name=meta.id, description=_description(policy), validate=validate, remediate=remediate,
        enforcement_level=ENFORCEMENT[level], **_common(policy))


def _stack_context(args: StackValidationArgs, hooks: Hooks) -> StackContext:
    expired = tuple(f"suppression of {s.describe()} expired on {s.expires}; renew it with a new approval or fix "
                    f"{', '.join(s.urns)}" for s in hooks.suppressions.expired())
    return replace(resolve_context(args.get_config()), expired_suppressions=expired)


def stack_policy(policy: RegisteredPolicy, level: str, hooks: Hooks = Hooks()) -> StackValidationPolicy:
    meta = policy.meta

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        views = _views(args.resources)
        findings = _safely(meta.id, lambda: policy.check(views, _stack_context(args, hooks)))
        for finding in findings:
            if isinstance(finding, str):
                finding = Finding(finding)
            hooks.route(meta.id, finding.urn, finding.message, report_violation)

    return StackValidationPolicy(
        name=meta.id, description=_description(policy), validate=validate,
        enforcement_level=ENFORCEMENT[level], **_common(policy))


def build(policy: RegisteredPolicy, level: str, hooks: Hooks = Hooks()) -> Policy:
    factory = resource_policy if policy.meta.kind == "resource" else stack_policy
    return factory(policy, level, hooks)


def build_all(entries: Sequence[tuple[RegisteredPolicy, str]], hooks: Hooks = Hooks()) -> list[Policy]:
    return [build(policy, level, hooks) for policy, level in entries]
