"""The Pulumi program: read stack config, validate it into a spec, build the platform.

`pulumi up` runs it through the root `__main__.py`; the offline engine runs the very same function under mocks.
"""

from __future__ import annotations

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from blueprints.errors import BlueprintError
from blueprints.gateway.providers import provider_credentials
from blueprints.gateway.sso import CLIENT_SECRET_CONFIG_KEY
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


def provider_keys(spec: PlatformSpec) -> dict[str, pulumi.Output[str]]:
    """The key of every hosted provider the spec uses, from stack config as a Pulumi secret (never plain)."""
    config, keys = pulumi.Config(PROJECT), {}
    for env, facts in provider_credentials(spec).items():
        value = config.get_secret(facts.config_key)
        if value is None:
            raise BlueprintError(
                f"stack {pulumi.get_stack()}: config {PROJECT}:{facts.config_key} is missing: serving.models use "
                f"hosting {facts.provider!r} (set {facts.credential}: pulumi config set --secret "
                f"{PROJECT}:{facts.config_key} <value>)")
        keys[env] = value
    return keys


def sso_client_secret(spec: PlatformSpec) -> pulumi.Output[str] | None:
    """The identity provider client's secret when `gateway.sso` is set, from stack config as a Pulumi secret."""
    if spec.gateway.sso is None:
        return None
    value = pulumi.Config(PROJECT).get_secret(CLIENT_SECRET_CONFIG_KEY)
    if value is None:
        raise BlueprintError(
            f"stack {pulumi.get_stack()}: config {PROJECT}:{CLIENT_SECRET_CONFIG_KEY} is missing: gateway.sso is set "
            f"(set the IdP client's secret: pulumi config set --secret {PROJECT}:{CLIENT_SECRET_CONFIG_KEY} <value>)")
    return value


def main() -> Platform:
    spec = spec_from_config()
    platform = Platform(spec, provider_keys=provider_keys(spec), sso_client_secret=sso_client_secret(spec))
    platform.export()
    return platform
