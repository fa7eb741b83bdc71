"""IAM policy documents: identity policies inside aws:iam Policy / RolePolicy / UserPolicy / GroupPolicy / Role
inputs, and what their statements mean (wildcard actions, public grants)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .props import items, json_object


def documents(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(label, document) for each permission document a resource carries; trust policies are not
    permissions and are skipped."""
    if resource_type.endswith(":Role"):
        for inline in items(props.get("inlinePolicies")):
            document = json_object(inline.get("policy"))
            if document:
                yield f"inline policy {inline.get('name', '?')!r}", document
        return
    document = json_object(props.get("policy"))
    if document:
        yield "policy", document


def allow_statements(document: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for index, statement in enumerate(items(document.get("Statement"))):
        if statement.get("Effect") == "Allow":
            yield index, statement


def actions(statement: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in items(statement.get("Action"))]


def resources(statement: Mapping[str, Any]) -> list[str]:
    return [str(r) for r in items(statement.get("Resource"))]


SCOPED_PREFIX = re.compile(r"^[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+$")
"""A fixed action-name prefix naming a verb and a noun (`GenerateDataKey`), not a bare verb (`Get`)."""


def wildcard_action(action: str) -> bool:
    """True when the action pattern grants actions nobody listed: `*`, `s3:*`, `s3:Get*`, `iam:*Policy*`,
    `s3:?etObject`. A single trailing `*` after a verb and a noun (`kms:GenerateDataKey*`: the key-generation
    variants of one operation) is a listed family, not a wildcard grant."""
    service, _, name = action.partition(":")
    if "*" in service or "?" in service or not name:
        return "*" in action or "?" in action
    if "*" not in name and "?" not in name:
        return False
    fixed = name[:-1]
    return not (name.endswith("*") and "*" not in fixed and "?" not in fixed and SCOPED_PREFIX.match(fixed))


PUBLIC_PRINCIPALS = ("*",)
RESTRICTING_KEYS = frozenset(k.lower() for k in (
    "aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner", "aws:SourceOrgID", "aws:SourceOrgPaths",
    "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:SourceVpc",
    "aws:SourceVpce", "aws:userid", "aws:username", "kms:CallerAccount", "lambda:FunctionUrlAuthType",
))
"""Condition keys that narrow a `Principal: *` grant to named accounts, organisations, networks or callers."""
NARROWING_OPERATORS = ("StringEquals", "StringLike", "ArnEquals", "ArnLike", "StringEqualsIgnoreCase")


def principals(value: Any) -> list[str]:
    """Every principal a Principal element names (`"*"`, `{"AWS": [...]}`, `{"Service": ...}`)."""
    if isinstance(value, Mapping):
        return [str(p) for v in value.values() for p in items(v)]
    return [str(p) for p in items(value)]


def _narrows(operator: str, values: Mapping[str, Any]) -> bool:
    """An operator block narrows the grant when it tests a restricting key against values without wildcards; the
    IfExists and ForAnyValue forms do not (an absent key, or any one value, satisfies them)."""
    if operator not in NARROWING_OPERATORS:
        return False
    return any(key.lower() in RESTRICTING_KEYS and items(val) and all(str(v) not in ("*", "") for v in items(val))
               for key, val in values.items())


def public_statement(statement: Mapping[str, Any]) -> bool:
    """An Allow that anyone may use: Principal `*` (or NotPrincipal) without a condition naming who may."""
    if statement.get("Effect") != "Allow":
        return False
    if "NotPrincipal" in statement:
        return True
    if not any(p in PUBLIC_PRINCIPALS for p in principals(statement.get("Principal"))):
        return False
    condition = statement.get("Condition") or {}
    return not any(isinstance(v, Mapping) and _narrows(op, v) for op, v in condition.items())
