"""IAM policy documents inside aws:iam Policy / RolePolicy / Role inputs."""

from __future__ import annotations

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
