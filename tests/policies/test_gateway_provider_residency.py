"""Regulated presets send prompts only to providers and regions on the residency allowlist (issue 22 s3): the policy
reads the LiteLLM config the generator emits for the Kubernetes gateway and for the Fargate task."""

import json

import yaml
from blueprints_policies.litellm import CONFIG_KEY, LABEL
from blueprints_policies.model import StackContext
from blueprints_policies.registry import registry

from blueprints.gateway.fargate import container_definition
from blueprints.gateway.litellm_config import litellm_config
from blueprints.presets import load_spec

POLICY = "gateway-provider-residency"


def _config_map(spec) -> tuple[str, dict]:
    return "kubernetes:core/v1:ConfigMap", {"metadata": {"labels": dict([LABEL])},
                                            "data": {CONFIG_KEY: yaml.safe_dump(litellm_config(spec, spec.regions[0]))}}


def _task(spec) -> tuple[str, dict]:
    container = container_definition(spec, spec.regions[0], log_group="g", master_key_arn="arn:aws:secretsmanager:x")
    return "aws:ecs/taskDefinition:TaskDefinition", {"containerDefinitions": json.dumps([container])}


def _violations(resource: tuple[str, dict], residency: list[str] | None) -> list[str]:
    context = StackContext(environment="prod", residency=tuple(residency) if residency is not None else None)
    return list(registry()[POLICY].check(*resource, context))


def test_the_regulated_preset_sends_prompts_only_inside_its_allowlist() -> None:
    spec = load_spec("regulated-industry", "prod")
    assert _violations(_config_map(spec), spec.residency.allowed_regions) == []


def test_the_mvp_fallback_to_anthropic_is_caught_under_an_eu_allowlist() -> None:
    """startup-mvp's Fargate task calls Bedrock in us-east-1 and Anthropic's global API: outside an EU allowlist,
    inside one that lists them."""
    spec = load_spec("startup-mvp", "prod")
    found = _violations(_task(spec), ["eu-central-1", "eu-west-1"])
    assert any("'chat-anthropic' sends prompts to 'anthropic:global'" in v for v in found)
    assert any("'chat' sends prompts to 'us-east-1'" in v for v in found)
    assert _violations(_task(spec), ["us-east-1", "anthropic:global"]) == []
    assert _violations(_task(spec), None) == []


def test_the_regulated_pack_enforces_it() -> None:
    from blueprints_policies.packs import PACKS

    assert PACKS["regulated"].level(POLICY) == "mandatory"
