"""Offline evaluation: runs a pack's policies over a recorded resource graph exactly as the Pulumi engine
would, by building pulumi_policy's own argument objects and calling each policy's validate/remediate.

Semantics follow the engine: resource policies see inputs, stack policies see outputs; pack config
overrides a policy's enforcement level (`{"<policy>": "advisory"}` or `{"<policy>": {"enforcementLevel":
..., <property>: ...}}`); disabled policies do not run; remediate-level policies rewrite inputs first and any
violation left afterwards is reported as mandatory. Fail closed: a check that raises is reported as a
"cannot evaluate" violation at the policy's level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import crossguard
from .context import context_values
from .graph import GraphLike, RecordLike
from .packs import Pack
from .registry import RegisteredPolicy
from .suppressions import Suppression, Suppressions


@dataclass(frozen=True)
class Violation:
    pack: str
    policy: str
    level: str
    severity: str
    urn: str | None
    message: str

    @property
    def cannot_evaluate(self) -> bool:
        return self.message.startswith(crossguard.CANNOT_EVALUATE)


@dataclass(frozen=True)
class SuppressedFinding:
    pack: str
    policy: str
    urn: str | None
    message: str
    reason: str
    approver: str
    ticket: str
    expires: str


@dataclass(frozen=True)
class Remediation:
    pack: str
    policy: str
    urn: str


@dataclass
class PackResult:
    pack: str
    policies: list[tuple[RegisteredPolicy, str]]
    violations: list[Violation] = field(default_factory=list)
    suppressed: list[SuppressedFinding] = field(default_factory=list)
    remediations: list[Remediation] = field(default_factory=list)


def _levels_and_config(pack: Pack, pack_config: Mapping[str, Any]) -> list[tuple[RegisteredPolicy, str, dict]]:
    resolved = []
    for policy, level in pack.policies():
        override = pack_config.get(policy.meta.id)
        properties: dict[str, Any] = {}
        if isinstance(override, str):
            level = override
        elif isinstance(override, Mapping):
            properties = {k: v for k, v in override.items() if k != "enforcementLevel"}
            level = override.get("enforcementLevel", level)
        if level not in crossguard.ENFORCEMENT:
            raise ValueError(f"pack config {policy.meta.id}: enforcement level {level!r} "
                             f"(allowed: {sorted(crossguard.ENFORCEMENT)})")
        resolved.append((policy, level, properties))
    return resolved


class _Stack:
    """pulumi_policy views of every recorded resource, linked by parent and dependencies."""

    def __init__(self, graph: GraphLike) -> None:
        self.records = list(graph.resources)
        by_urn = {r.urn: r for r in self.records}
        self.providers = {r.urn: self._provider(r, by_urn) for r in self.records}
        self.outputs = {r.urn: self._policy_resource(r, self._outputs(r)) for r in self.records}
        for record in self.records:
            resource = self.outputs[record.urn]
            resource.parent = self.outputs.get(record.parent) if record.parent else None
            resource.dependencies = [self.outputs[d] for d in record.dependencies if d in self.outputs]

    @staticmethod
    def _provider(record: RecordLike, by_urn: Mapping[str, RecordLike]) -> PolicyProviderResource | None:
        """The provider from its reference ("<provider urn>::<provider id>", or a bare URN)."""
        if not record.provider:
            return None
        provider = by_urn.get(record.provider) or by_urn.get(record.provider.rsplit("::", 1)[0])
        props = dict(provider.inputs) if provider else {}
        if record.region and "region" not in props:
            props["region"] = record.region
        if provider is None:
            return PolicyProviderResource("", props, record.provider, record.provider.rsplit("::", 1)[-1])
        return PolicyProviderResource(provider.type, props, provider.urn, provider.name)

    @staticmethod
    def _outputs(record: RecordLike) -> dict[str, Any]:
        """Outputs as the engine reports them; pulumi-aws v7 resources carry their `region` output."""
        outputs = dict(record.outputs)
        if record.type.startswith("aws:") and record.region and "region" not in outputs:
            outputs["region"] = record.region
        return outputs

    def options(self, record: RecordLike) -> PolicyResourceOptions:
        return PolicyResourceOptions(record.protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [],
                                     record.parent)

    def _policy_resource(self, record: RecordLike, props: Mapping[str, Any]) -> PolicyResource:
        return PolicyResource(record.type, props, record.urn, record.name, self.options(record),
                              self.providers[record.urn], None, [], {})


def evaluate_pack(graph: GraphLike, pack: Pack, pack_config: Mapping[str, Any] | None = None,
                  suppressions: Suppressions | None = None) -> PackResult:
    resolved = _levels_and_config(pack, pack_config or {})
    stack = _Stack(graph)
    result = PackResult(pack=pack.name, policies=[(p, level) for p, level, _ in resolved])
    context = {"environment": None, "residency": None, **context_values(graph.stack_config)}

    def on_suppressed(policy_id: str, urn: str | None, message: str, suppression: Suppression) -> None:
        result.suppressed.append(SuppressedFinding(pack.name, policy_id, urn, message, suppression.reason,
                                                   suppression.approver, suppression.ticket,
                                                   suppression.expires.isoformat()))

    hooks = crossguard.Hooks(suppressions or Suppressions(), on_suppressed)
    built = [(p, level, {**context, **props}, crossguard.build(p, level, hooks))
             for p, level, props in resolved if level != "disabled"]

    def reporter(policy: RegisteredPolicy, level: str, default_urn: str | None):
        reported = "mandatory" if level == "remediate" else level

        def report(message: str, urn: str | None = None) -> None:
            result.violations.append(Violation(pack.name, policy.meta.id, reported, policy.meta.severity,
                                               urn or default_urn, message))
        return report

    def run(policy: RegisteredPolicy, level: str, call: Any, default_urn: str | None) -> None:
        try:
            call(reporter(policy, level, default_urn))
        except Exception as error:
            reporter(policy, level, default_urn)(f"{crossguard.CANNOT_EVALUATE}: {type(error).__name__}: {error}")

    # A resource policy passes every type outside its `applies_to` without looking (crossguard.resource_policy):
    # choose the policies once per resource type instead of calling each one on every resource.
    per_type: dict[str, list[tuple[RegisteredPolicy, str, dict, Any]]] = {}
    for record in stack.records:
        if record.type not in per_type:
            per_type[record.type] = [(policy, level, config, cg) for policy, level, config, cg in built
                                     if isinstance(cg, ResourceValidationPolicy)
                                     and record.type in policy.meta.applies_to]
        applicable = per_type[record.type]
        if not applicable:
            continue
        props: Mapping[str, Any] = dict(record.inputs)
        provider = stack.providers[record.urn]
        opts = stack.options(record)
        for policy, level, config, cg in applicable:
            if level == "remediate":
                args = ResourceValidationArgs(record.type, props, record.urn, record.name, opts, provider, config)
                new_props = cg.remediate(args)
                if new_props:
                    props = new_props
                    result.remediations.append(Remediation(pack.name, policy.meta.id, record.urn))
        for policy, level, config, cg in applicable:
            args = ResourceValidationArgs(record.type, props, record.urn, record.name, opts, provider, config)
            run(policy, level, lambda report, cg=cg, args=args: cg.validate(args, report), record.urn)

    resources = [stack.outputs[r.urn] for r in stack.records]
    for policy, level, config, cg in built:
        if isinstance(cg, StackValidationPolicy):
            args = StackValidationArgs(resources, config)
            run(policy, level, lambda report, cg=cg, args=args: cg.validate(args, report), None)
    return result


def evaluate(graph: GraphLike, packs: Sequence[Pack], pack_configs: Mapping[str, Mapping[str, Any]] | None = None,
             suppressions: Suppressions | None = None) -> list[PackResult]:
    return [evaluate_pack(graph, pack, (pack_configs or {}).get(pack.name), suppressions) for pack in packs]
