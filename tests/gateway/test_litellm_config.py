"""The generated LiteLLM config, per preset: models, tiers, limits, cache, guardrail, secrets by reference."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from blueprints.gateway import litellm_config as generator
from blueprints.gateway.guardrails import CONTENT_SAFETY_CATEGORIES, CONTENT_SAFETY_GUARDRAIL
from blueprints.gateway.litellm_config import litellm_config, model_limits, render_config, tier_models
from blueprints.presets import load_spec

SECRET_REFS = {"master_key": "os.environ/LITELLM_MASTER_KEY", "database_url": "os.environ/DATABASE_URL"}


def config_of(preset: str, env: str = "prod", **overrides: dict) -> dict:
    return litellm_config(load_spec(preset, env, overrides=overrides or None), "us-east-1")


def models(config: dict) -> dict[str, dict]:
    return {entry["model_name"]: entry["litellm_params"] for entry in config["model_list"]}


def test_self_hosted_models_are_openai_compatible_services() -> None:
    params = models(config_of("internal-ai"))
    assert params["corp-large"]["model"] == "openai/corp-large"
    assert params["corp-large"]["api_base"] == "http://corp-large-2026-11-01.models.svc.cluster.local:8000/v1"


def test_a_canary_is_two_weighted_deployments_and_rollback_is_one() -> None:
    """The gateway splits a model's traffic between its versions as the rollout says, each with its prompt."""
    config = config_of("internal-ai")
    small = [entry for entry in config["model_list"] if entry["model_name"] == "corp-small"]
    assert [(e["model_info"]["version"], e["litellm_params"]["weight"]) for e in small] == [
        ("2026-10-01", 90), ("2026-11-01", 10)]
    assert small[1]["litellm_params"]["api_base"] == "http://corp-small-2026-11-01.models.svc.cluster.local:8000/v1"
    rolled_back = config_of("internal-ai", serving={"models": [{}, {"versions": {"candidate_weight": 0}}]})
    small = [entry for entry in rolled_back["model_list"] if entry["model_name"] == "corp-small"]
    assert [e["model_info"]["version"] for e in small] == ["2026-10-01"]
    assert "weight" not in small[0]["litellm_params"]


def test_hosted_models_are_bedrock_ids_from_the_catalog() -> None:
    """Claude Sonnet 4 is served only through an inference profile: the US one from us-east-1
    (tests/gateway/test_bedrock_models.py checks every preset with LiteLLM itself)."""
    params = models(config_of("enterprise-assistant"))
    assert {key: params["assistant-fallback"][key] for key in ("model", "aws_region_name", "rpm", "tpm")} == {
        "model": "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0", "aws_region_name": "us-east-1",
        **model_limits(load_spec("enterprise-assistant", "prod"), load_spec("enterprise-assistant", "prod")
                       .serving.models[1])}


def test_no_bedrock_anywhere_when_prompts_may_not_leave() -> None:
    text = render_config(config_of("regulated-industry"))
    assert "bedrock" not in text
    assert "aws_region_name" not in text


def test_tiered_routing_sends_simple_requests_to_the_small_model() -> None:
    spec = load_spec("saas", "prod")
    assert tier_models(spec) == ("chat-small", "chat-large")
    auto = models(config_of("saas"))["auto"]
    assert auto["model"] == "auto_router/complexity_router"
    assert auto["complexity_router_config"]["tiers"] == {
        "SIMPLE": "chat-small", "MEDIUM": "chat-small", "COMPLEX": "chat-large", "REASONING": "chat-large"}


def test_self_hosted_small_tier_comes_before_hosted() -> None:
    assert tier_models(load_spec("enterprise-assistant", "prod")) == ("assistant", "assistant-fallback")
    assert tier_models(load_spec("internal-ai", "prod")) == ("corp-small", "corp-large")


def test_limits_default_to_headroom_times_planned_peak_and_follow_the_spec() -> None:
    spec = load_spec("startup-mvp", "prod")
    chat = spec.serving.models[0]  # 0.5 rps, 800 in + 300 out, headroom 2: 0.5 x 60 x 2 = 60 rpm, x 1100 tokens
    assert model_limits(spec, chat) == {"rpm": 60, "tpm": 66_000}
    limited = models(config_of("startup-mvp", gateway={"model_limits": {"chat": {"rpm": 7}}}))["chat"]
    assert (limited["rpm"], limited["tpm"]) == (7, 66_000)


def test_router_circuit_breaking_and_fallbacks_from_the_spec() -> None:
    router = config_of("enterprise-assistant", gateway={"num_retries": 1, "allowed_fails": 5,
                                                        "cooldown_seconds": 45})["router_settings"]
    assert router["fallbacks"] == [{"assistant": ["assistant-fallback"]}]
    assert (router["num_retries"], router["allowed_fails"], router["cooldown_time"]) == (1, 5, 45)
    assert router["optional_pre_call_checks"] == ["enforce_model_rate_limits"]


def test_shared_state_in_redis_only_with_more_than_one_process() -> None:
    single = config_of("startup-mvp", "dev", runtime="eks", gateway={"cpu": 1, "replicas": 1, "max_replicas": 1})
    assert "redis_host" not in single["router_settings"]
    assert config_of("startup-mvp", "dev", runtime="eks")["router_settings"]["redis_host"] == "os.environ/REDIS_HOST"
    # runtime fargate has no Valkey: each task keeps its own limits and cooldowns (one worker per task).
    assert "redis_host" not in config_of("startup-mvp", "prod")["router_settings"]


def test_exact_cache_or_semantic_cache() -> None:
    exact = config_of("internal-ai")["litellm_settings"]["cache_params"]
    assert exact["type"] == "redis" and "similarity_threshold" not in exact
    semantic = config_of("saas")
    params = semantic["litellm_settings"]["cache_params"]
    assert params["type"] == "redis-semantic"
    assert params["similarity_threshold"] == 0.9
    assert models(semantic)[params["redis_semantic_cache_embedding_model"]]["model"] == \
        "bedrock/amazon.titan-embed-text-v2:0"
    assert "cache" not in config_of("startup-mvp")["litellm_settings"]


def test_pii_masking_with_the_builtin_guardrail_only_where_asked() -> None:
    guardrails = config_of("regulated-industry")["guardrails"]
    guardrail = guardrails[0]["litellm_params"]
    assert guardrail["guardrail"] == "litellm_content_filter"
    assert guardrail["mode"] == "pre_call"  # post_call holds 50 characters of streams back (LiteLLM buffer_size)
    assert {p["pattern_name"] for p in guardrail["patterns"]} >= {"email", "credit_card", "iban"}
    assert {p["action"] for p in guardrail["patterns"]} == {"MASK"}
    # Answers: structured outputs validated first, then masked (post_call guardrails run in config order).
    assert [(g["litellm_params"]["guardrail"], g["litellm_params"]["mode"]) for g in guardrails[1:3]] == [
        ("litellm_schema.StructuredOutputValidation", "post_call"), ("litellm_pii.ResponsePIIMasking", "post_call")]
    assert "guardrails" not in config_of("saas")


@pytest.mark.parametrize("preset", ["internal-ai", "regulated-industry", "saas", "startup-mvp"])
def test_private_presets_refuse_harmful_prompts_with_the_builtin_rules(preset: str) -> None:
    """No hosted models, so no hosted classifier: LiteLLM's content-filter categories block before a model."""
    spec = load_spec(preset, "prod")
    guards = [g["litellm_params"] for g in litellm_config(spec, spec.regions[0]).get("guardrails", [])
              if g["guardrail_name"] == CONTENT_SAFETY_GUARDRAIL]
    if spec.compliance.allow_hosted_models:
        assert guards == []
        return
    [guard] = guards
    assert (guard["guardrail"], guard["mode"], guard["default_on"]) == ("litellm_content_filter", "pre_call", True)
    assert {c["category"] for c in guard["categories"]} == set(CONTENT_SAFETY_CATEGORIES)
    assert {c["action"] for c in guard["categories"]} == {"BLOCK"}


def test_secrets_only_by_environment_reference() -> None:
    for preset in ("startup-mvp", "regulated-industry"):
        config = config_of(preset)
        secrets = {key: value for key, value in config["general_settings"].items() if "os.environ/" in str(value)}
        assert secrets == SECRET_REFS
        assert "prometheus" in config["litellm_settings"]["callbacks"]


def test_prompts_stay_out_of_logs_unless_the_preset_allows() -> None:
    assert config_of("regulated-industry")["litellm_settings"]["turn_off_message_logging"] is True


@pytest.mark.parametrize("preset", ["startup-mvp", "saas", "enterprise-assistant", "internal-ai",
                                    "regulated-industry"])
def test_rendered_yaml_round_trips(preset: str) -> None:
    config = config_of(preset)
    assert yaml.safe_load(render_config(config)) == config


def test_hook_reads_the_ceiling_variable_the_deployment_sets() -> None:
    hook = Path(generator.__file__).with_name("litellm_hooks.py")
    constants = {node.targets[0].id: node.value.value for node in ast.parse(hook.read_text()).body
                 if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)}
    assert constants["CEILING_ENV"] == generator.CEILING_ENV
    assert generator.proxy_environment(load_spec("regulated-industry", "prod"))[generator.CEILING_ENV] == "2048"


# LiteLLM 1.81.16 hands every request to each `success_callback` entry that is not one of its internal loggers on a
# thread pool, besides the async path (litellm/litellm_core_utils/litellm_logging.py,
# Logging.handle_sync_success_callbacks_for_async_calls / _should_run_sync_callbacks_for_async_calls), and builds
# one logger per list it is named in. `callbacks` entries are async CustomLoggers, called once per event.
@pytest.mark.parametrize("preset", ["startup-mvp", "saas", "enterprise-assistant", "internal-ai",
                                    "regulated-industry"])
def test_event_sinks_are_async_callbacks_off_the_request_thread(preset: str) -> None:
    settings = config_of(preset)["litellm_settings"]
    assert "success_callback" not in settings and "failure_callback" not in settings
    traced = load_spec(preset, "prod").observability.tracing
    assert ("otel" in settings["callbacks"]) == traced
