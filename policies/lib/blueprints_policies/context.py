"""Where policies learn the environment and residency allowlist.

Offline, `evaluate` passes the stack config as policy config. Under the Pulumi CLI the same keys come from
`--policy-pack-config` or, failing that, from the stack config the engine hands the policy pack process
(`pulumi.runtime.get_config_env()`, keys like `"<project>:residency"`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi.runtime

from .model import StackContext

CONTEXT_KEYS = ("environment", "residency")


def _from_stack_config() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, raw in pulumi.runtime.get_config_env().items():
        short = key.split(":", 1)[-1]
        if short in CONTEXT_KEYS:
            try:
                found[short] = json.loads(raw)
            except (TypeError, ValueError):
                found[short] = raw
    return found


def _residency(value: Any) -> tuple[str, ...] | None:
    """Accepts a list of regions (globs allowed) or a mapping with `allowed_regions`/`allowedRegions`."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = value.get("allowed_regions", value.get("allowedRegions"))
        if value is None:
            return None
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def resolve_context(policy_config: Mapping[str, Any]) -> StackContext:
    merged = {**_from_stack_config(), **dict(policy_config)}
    environment = merged.get("environment")
    return StackContext(
        environment=str(environment) if environment is not None else None,
        residency=_residency(merged.get("residency")),
        extra={k: v for k, v in merged.items() if k not in CONTEXT_KEYS},
    )
