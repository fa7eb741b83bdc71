"""Regulated presets mask PII in responses too (issue 18 s4): the policy reads the LiteLLM config the generator
emits; the masking itself is proven on the real proxy (tests/gateway/test_litellm_proxy.py, response test)."""

import yaml
from blueprints_policies.litellm import CONFIG_KEY, LABEL
from blueprints_policies.model import StackContext
from blueprints_policies.registry import registry

from blueprints.gateway.litellm_config import litellm_config
from blueprints.presets import load_spec


def _violations(spec) -> list[str]:
    props = {"metadata": {"labels": dict([LABEL])},
             "data": {CONFIG_KEY: yaml.safe_dump(litellm_config(spec, spec.regions[0]))}}
    return list(registry()["gateway-pii-masking"].check("kubernetes:core/v1:ConfigMap", props,
                                                        StackContext(environment="prod")))


def test_regulated_gateway_masks_prompts_and_responses() -> None:
    assert _violations(load_spec("regulated-industry", "prod")) == []


def test_request_side_masking_alone_is_a_violation() -> None:
    spec = load_spec("regulated-industry", "prod", overrides={"compliance": {"level": "standard"}})
    assert spec.gateway.pii_masking
    assert [v for v in _violations(spec) if "responses (mode post_call)" in v]
