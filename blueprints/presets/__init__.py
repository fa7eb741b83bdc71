"""Scenario presets as data, merged into one validated `PlatformSpec`.

Layers, later wins: spec defaults < `<preset>.yaml` < `environments/<env>.yaml` < the preset's own
`environments.<env>` block < stack `overrides` < `regions` given on the command line or in stack config.
Mappings merge key by key; lists of mappings merge item by item by index (so `serving.models[0].max_replicas`
overrides one field of the first model); any other list or value replaces what was there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from blueprints.errors import BlueprintError, SpecError
from blueprints.presets.errors import describe_errors
from blueprints.spec import PlatformSpec

PRESETS_DIR = Path(__file__).parent
ENVIRONMENTS = ("dev", "staging", "prod")


def preset_names() -> list[str]:
    return sorted(path.stem for path in PRESETS_DIR.glob("*.yaml"))


def _read_yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text()) or {}


def deep_merge(base: Any, override: Any) -> Any:
    """Merge `override` into `base` (see module docstring); neither argument is modified."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    if (
        isinstance(base, list)
        and isinstance(override, list)
        and all(isinstance(item, dict) for item in [*base, *override])
    ):
        merged_list = [deep_merge(b, o) for b, o in zip(base, override, strict=False)]
        return merged_list + base[len(override) :] + override[len(base) :]
    return override


def preset_document(preset: str, environment: str) -> dict[str, Any]:
    """The preset and environment layers merged, before overrides and validation."""
    if preset not in preset_names():
        raise BlueprintError(f"preset: unknown preset {preset!r} (allowed: {', '.join(preset_names())})")
    if environment not in ENVIRONMENTS:
        raise BlueprintError(f"environment: unknown environment {environment!r} (allowed: {', '.join(ENVIRONMENTS)})")
    document = _read_yaml(PRESETS_DIR / f"{preset}.yaml")
    per_environment = document.pop("environments", {}) or {}
    document = deep_merge(document, _read_yaml(PRESETS_DIR / "environments" / f"{environment}.yaml"))
    document = deep_merge(document, per_environment.get(environment, {}))
    return {**document, "preset": preset, "environment": environment}


def load_spec(
    preset: str,
    environment: str,
    overrides: dict[str, Any] | None = None,
    regions: list[str] | None = None,
) -> PlatformSpec:
    """Merge the layers, validate once, and compute sizes. Raises SpecError naming every bad path."""
    from blueprints.capacity import resolve_capacity

    if overrides is not None and not isinstance(overrides, dict):
        raise BlueprintError(f"overrides: must be a mapping of spec fields (got {overrides!r})")
    overrides = dict(overrides or {})
    for fixed in ("preset", "environment"):
        if fixed in overrides:
            raise BlueprintError(f"overrides.{fixed}: set {fixed} in stack config, not in overrides")
    if regions:
        overrides["regions"] = list(regions)
    document = deep_merge(preset_document(preset, environment), overrides)
    try:
        spec = PlatformSpec.model_validate(document)
    except ValidationError as error:
        raise SpecError(describe_errors(error, overrides, preset)) from None
    return resolve_capacity(spec)
