"""The one shape every apply-time contract reports in: which check, which resource, the AWS or Kubernetes rule it
breaks (one line and the documentation page) and the fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

FIX_MARKER = "; fix: "


def as_list(value: Any) -> list[Any]:
    """IAM's grammar lets one value stand for a list of one (Action, Resource, Principal.Service, condition values)."""
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Rule:
    """What a contract encodes: the rule in one line, its documentation page, and the usual fix."""

    id: str
    title: str
    rule: str
    doc: str
    fix: str


@dataclass(frozen=True)
class Finding:
    check: str
    resource: str
    """The graph resource (name and type) or the region/cluster object the problem is about."""
    problem: str
    rule: str
    doc: str
    fix: str

    @classmethod
    def from_line(cls, rule: Rule, line: str, resource_parts: int = 1) -> Finding:
        """A contract's one-line problem (`<resource>: <problem>[; fix: <fix>]`) as a finding; the contract's usual
        fix where the line names none. `resource_parts`: how many `: `-separated fields name the resource."""
        text, _, fix = line.partition(FIX_MARKER)
        fields = text.split(": ", resource_parts)
        resource, problem = (": ".join(fields[:-1]), fields[-1]) if len(fields) > 1 else ("(graph)", text)
        return cls(rule.id, resource, problem, rule.rule, rule.doc, fix or rule.fix)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)
