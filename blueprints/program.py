"""The Pulumi program: read stack config, validate it into a spec, build the platform.

`pulumi up` runs it through the root `__main__.py`; the offline engine runs the very same function under mocks.
"""

from __future__ import annotations

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from blueprints.platform import Platform
from blueprints.presets import load_spec
from blueprints.spec import PlatformSpec
from blueprints.stack_config import PROJECT, check_keys

__all__ = ["PROJECT", "main", "spec_from_config"]


def spec_from_config() -> PlatformSpec:
    """Stack config keys (namespace `llm-platform`): preset, environment, regions, overrides."""
    check_keys([*get_config_env(), *CONFIG.get()], f"stack {pulumi.get_stack()}")
    config = pulumi.Config(PROJECT)
    return load_spec(
        preset=config.require("preset"),
        environment=config.get("environment") or "dev",
        overrides=config.get_object("overrides"),
        regions=config.get_object("regions"),
    )


def main() -> Platform:
    platform = Platform(spec_from_config())
    platform.export()
    return platform
