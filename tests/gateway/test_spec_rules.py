"""Bad gateway and cache input is refused with one line naming the path, the value and what is allowed."""

from __future__ import annotations

import pytest

from blueprints.errors import SpecError
from blueprints.presets import load_spec

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
CASES = [
    ("no domain and no certificate", "startup-mvp", {"gateway": {"domain_name": None}},
     "overrides.gateway.domain_name: needed to issue the ALB's TLS certificate (got None; set gateway.domain_name, "
     "or gateway.certificate_arn for an existing certificate)"),
    ("hosted zone without a certificate to validate", "startup-mvp",
     {"gateway": {"hosted_zone_id": "Z123", "certificate_arn": CERT}},
     "overrides.gateway.hosted_zone_id: only validates a certificate issued for gateway.domain_name "
     "(got 'Z123'; allowed: with domain_name and without certificate_arn)"),
    ("HPA ceiling below floor", "startup-mvp", {"gateway": {"replicas": 4, "max_replicas": 2}},
     "overrides.gateway.max_replicas: 2 is below gateway.replicas (allowed: >= 4)"),
    ("first-token timeout above request timeout", "startup-mvp", {"gateway": {"stream_timeout_s": 900}},
     "overrides.gateway.stream_timeout_s: 900 exceeds gateway.request_timeout_s (allowed: <= 600)"),
    ("limit for an unknown model", "startup-mvp", {"gateway": {"model_limits": {"nope": {"rpm": 3}}}},
     "overrides.gateway.model_limits: unknown model 'nope' (allowed: chat, chat-smart, chat-anthropic)"),
    ("masking nothing", "startup-mvp", {"gateway": {"pii_masking": True, "pii_patterns": []}},
     "overrides.gateway.pii_patterns: empty while gateway.pii_masking is on "
     "(allowed: names from email, us_phone, us_ssn, us_ssn_no_dash, ...)"),
    ("inference routing without self-hosted models", "startup-mvp", {"gateway": {"inference_routing": True}},
     "overrides.gateway.inference_routing: no self-hosted model to route to "
     "(got true; allowed: false when every model is hosted)"),
    ("inference routing to an engine the endpoint picker cannot read", "enterprise-assistant",
     {"serving": {"engine": "triton"}},
     "preset enterprise-assistant: gateway.inference_routing: the endpoint picker reads the gauges of "
     "serving.engine trtllm-serve only (got true with engine 'triton'; allowed: false)"),
    ("tiered routing with one chat model", "startup-mvp",
     {"serving": {"models": [{}, {"model": "titan-embed-text-v2"},
                             {"hosting": "bedrock", "model": "titan-embed-text-v1"}]},
      "gateway": {"tiered_routing": True, "fallbacks": {}}},
     "overrides.gateway.tiered_routing: needs at least two chat models (got 1: chat)"),
    ("same model for both tiers", "saas", {"gateway": {"tiers": {"small": "chat-large", "large": "chat-large"}}},
     "overrides.gateway.tiers.large: must differ from gateway.tiers.small (got 'chat-large' for both)"),
    ("unknown tier model", "saas", {"gateway": {"tiers": {"small": "nope"}}},
     "overrides.gateway.tiers.small: unknown chat model 'nope' (allowed: chat-small, chat-large)"),
    ("tier name taken by a model", "saas", {"gateway": {"tiers": {"model_name": "chat-small"}}},
     "overrides.gateway.tiers.model_name: 'chat-small' is already a model's name (allowed: a name no model uses)"),
    ("semantic cache without the cache", "saas", {"cache": {"enabled": False}, "feedback": {"enabled": False}},
     "preset saas: cache.semantic: needs cache.enabled (got semantic true with enabled false)"),
    ("semantic cache where prompts may not leave", "regulated-industry", {"cache": {"semantic": True}},
     "overrides.cache.semantic: embeds prompts with Bedrock model 'titan-embed-text-v2', which "
     "compliance.allow_hosted_models false forbids (allowed: false)"),
    ("multi-AZ without a replica", "saas", {"cache": {"multi_az": True, "replicas": 0}},
     "overrides.cache.replicas: multi_az needs at least one replica (got 0; allowed: 1-5)"),
    ("unpriced node type", "saas", {"cache": {"node_type": "cache.x1.huge"}},
     "overrides.cache.node_type: unknown node type 'cache.x1.huge' (allowed: cache.t4g.micro, cache.t4g.small, "
     "cache.t4g.medium, cache.m7g.large, cache.m7g.xlarge, cache.r7g.large, cache.r7g.xlarge)"),
    ("chat model as embedding model", "saas", {"cache": {"semantic_embedding_model": "claude-sonnet-4"}},
     "overrides.cache.semantic_embedding_model: 'claude-sonnet-4' is not a hosted embedding model "
     "(allowed: titan-embed-text-v2, cohere-embed-english-v3, titan-embed-text-v1, cohere-embed-multilingual-v3)"),
    ("host bits in a CIDR", "saas", {"gateway": {"allowed_cidrs": ["10.0.0.1/8"]}},
     "overrides.gateway.allowed_cidrs: '10.0.0.1/8' is not a CIDR block (allowed: e.g. 10.0.0.0/8, 203.0.113.0/24)"),
]


@pytest.mark.parametrize(("preset", "overrides", "message"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_refused_with_path_value_and_allowed(preset: str, overrides: dict, message: str) -> None:
    with pytest.raises(SpecError) as error:
        load_spec(preset, "prod", overrides=overrides)
    assert str(error.value) == message


def test_unknown_pii_pattern_is_named() -> None:
    with pytest.raises(SpecError, match=r"^overrides\.gateway\.pii_patterns: unknown PII patterns \['dna'\] "
                                        r"\(allowed: email, us_phone, "):
        load_spec("regulated-industry", "prod", overrides={"gateway": {"pii_patterns": ["email", "dna"]}})
