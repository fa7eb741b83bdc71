"""Where policies learn the environment and the residency allowlist.

Sources, later ones winning: the stack config (keys like `"llm-platform:environment"`, values raw or
JSON text, as the engine records it in `ResourceGraph.stack_config` and as the Pulumi CLI hands it to the
policy-pack process through `pulumi.runtime.get_config_env()`); the platform spec derived from the stack's
`preset` when the `blueprints` package is importable (its `environment` and `residency.allowed_regions`);
then the policy's own config (`--policy-pack-config`, or what `evaluate` passes).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import pulumi.runtime

from .model import StackContext, environment_problem

CONTEXT_KEYS = ("environment", "residency")
STACK_KEYS = ("preset", "environment", "regions", "overrides", "residency")


def parse_stack_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """`{"proj:regions": '["eu-central-1"]'}` -> `{"regions": ["eu-central-1"]}` for the keys we read."""
    found: dict[str, Any] = {}
    for key, raw in config.items():
        short = str(key).split(":", 1)[-1]
        if short not in STACK_KEYS:
            continue
        if isinstance(raw, str):
            try:
                found[short] = json.loads(raw)
            except ValueError:
                found[short] = raw
        else:
            found[short] = raw
    return found


def from_preset(stack: Mapping[str, Any]) -> dict[str, Any]:
    """Environment and residency from the validated platform spec the stack's preset describes. Only with an
    allowed `environment`: a missing one is not taken to mean dev (policies then fail closed on it)."""
    if "preset" not in stack or environment_problem(stack.get("environment")):
        return {}
    try:
        from blueprints.presets import load_spec
    except ImportError:
        return {}
    spec = load_spec(preset=stack["preset"], environment=stack["environment"],
                     overrides=stack.get("overrides"), regions=stack.get("regions"))
    return {"environment": spec.environment, "residency": spec.residency.allowed_regions}


def context_values(stack_config: Mapping[str, Any]) -> dict[str, Any]:
    """Every resource policy resolves the context on every call: the preset is loaded once per distinct config."""
    return dict(_context_values(json.dumps(dict(stack_config), sort_keys=True, default=str)))


@lru_cache(maxsize=32)
def _context_values(stack_config_json: str) -> dict[str, Any]:
    stack = parse_stack_config(json.loads(stack_config_json))
    merged = {k: v for k, v in stack.items() if k in CONTEXT_KEYS}
    merged.update({k: v for k, v in from_preset(stack).items() if v is not None})
    return merged


def _residency(value: Any) -> tuple[str, ...] | None:
    """A list of regions (globs allowed) or a mapping with `allowed_regions`/`allowedRegions`."""
    if isinstance(value, Mapping):
        value = value.get("allowed_regions", value.get("allowedRegions"))
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def resolve_context(policy_config: Mapping[str, Any]) -> StackContext:
    merged = dict(policy_config)
    if not all(k in merged for k in CONTEXT_KEYS):
        merged = {**context_values(pulumi.runtime.get_config_env()), **merged}
    return StackContext(
        environment=merged.get("environment"),
        residency=_residency(merged.get("residency")),
        extra={k: v for k, v in merged.items() if k not in CONTEXT_KEYS},
    )
