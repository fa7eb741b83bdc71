"""Small readers for wire-form property bags (values may arrive as strings, floats or JSON text)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def dig(props: Mapping[str, Any] | None, path: str, default: Any = None) -> Any:
    """`dig(p, "vpcConfig.endpointPublicAccess")`: walks mappings by dotted keys; missing -> default."""
    node: Any = props
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return node


def truthy(value: Any) -> bool:
    """True for True and "true" (launch template EBS flags are strings on the wire)."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


def items(value: Any) -> list[Any]:
    """A list property that may be missing, a single object, or a list."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return [value]


def number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def json_object(value: Any) -> Any:
    """A property that Pulumi sends either as JSON text (policies, provider default tags) or as an object."""
    if isinstance(value, str):
        return json.loads(value) if value.strip() else None
    return value
