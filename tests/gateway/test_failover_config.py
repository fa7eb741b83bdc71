"""Failure settings in every preset's rendered gateway config (the `litellm-config` ConfigMap of the offline graph):
no fallback shares the address of the model it stands in for, and its limits admit the planned traffic that can
fall back to it. What the settings do is proven with the real proxy in test_failover.py."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import yaml

from blueprints.errors import SpecError
from blueprints.gateway.fargate import CONFIG_ENV_LABEL
from blueprints.gateway.manifests import CONFIG_KEY
from blueprints.presets import load_spec
from blueprints.render import kubernetes_object
from tests.conftest import PRESETS


def rendered_configs(graph) -> list[dict]:
    """One config per region, as the gateway's ConfigMap carries it (EKS) or its ECS task's environment (Fargate:
    the variable its Docker label names)."""
    maps = [kubernetes_object(r) for r in graph.resources if r.type == "kubernetes:core/v1:ConfigMap"]
    configs = [yaml.safe_load(m["data"][CONFIG_KEY]) for m in maps if CONFIG_KEY in m.get("data", {})]
    for task in graph.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        for container in json.loads(task.inputs["containerDefinitions"]):
            variable = container.get("dockerLabels", {}).get(CONFIG_ENV_LABEL)
            if variable:
                configs += [yaml.safe_load(item["value"]) for item in container["environment"]
                            if item["name"] == variable]
    return configs


def where(entry: dict) -> str:
    """The network address a deployment's requests go to: an OpenAI-compatible server's host:port, or a hosted
    provider's model in its region."""
    params = entry["litellm_params"]
    if params.get("api_base"):
        return urlsplit(params["api_base"]).netloc
    return f"{params['model']}@{params.get('aws_region_name')}"


def groups(config: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in config["model_list"]:
        found.setdefault(entry["model_name"], []).append(entry)
    return found


def fallbacks(config: dict) -> dict[str, list[str]]:
    return {name: targets for item in config["router_settings"]["fallbacks"] for name, targets in item.items()}


@pytest.mark.parametrize("preset", PRESETS)
def test_no_fallback_shares_the_failed_path(graph_of, preset: str) -> None:
    configs = rendered_configs(graph_of(preset, "prod"))
    assert configs
    for config in configs:
        deployments = groups(config)
        for source, targets in fallbacks(config).items():
            failed = {where(entry) for entry in deployments[source]}
            for target in targets:
                assert target in deployments
                assert not failed & {where(entry) for entry in deployments[target]}, (source, target)


def test_regulated_fallback_goes_around_the_inference_gateway(graph_of) -> None:
    """Both tiers sit behind Envoy's one address; the fallback reaches reg-small on its own Service."""
    config = rendered_configs(graph_of("regulated-industry", "prod"))[0]
    deployments = groups(config)
    assert {where(entry) for entry in deployments["reg-large"]} == {where(entry) for entry in deployments["reg-small"]}
    assert fallbacks(config) == {"reg-large": ["reg-small-direct"]}
    assert [entry["litellm_params"]["api_base"] for entry in deployments["reg-small-direct"]] == [
        "http://reg-small-2026-11-01.models.svc.cluster.local:8000/v1"]


@pytest.mark.parametrize("preset", PRESETS)
def test_fallback_limits_admit_the_planned_traffic_that_falls_back(graph_of, preset: str) -> None:
    spec = load_spec(preset, "prod")
    planned = {model.name: model.traffic for model in spec.serving.models}
    for config in rendered_configs(graph_of(preset, "prod")):
        deployments = groups(config)
        incoming: dict[str, list[str]] = {name: [name] for name in planned if name in deployments}
        for source, targets in fallbacks(config).items():
            for target in targets:
                incoming.setdefault(target, []).append(source)
        for group, senders in incoming.items():
            rpm = sum(planned[name].requests_per_second * 60 for name in senders)
            tpm = sum(planned[name].requests_per_second * 60 * (planned[name].input_tokens
                                                                 + planned[name].output_tokens) for name in senders)
            for entry in deployments[group]:
                assert entry["litellm_params"]["rpm"] >= rpm, (group, senders)
                assert entry["litellm_params"]["tpm"] >= tpm, (group, senders)


@pytest.mark.parametrize("preset", PRESETS)
def test_single_deployments_with_a_fallback_fail_over_at_once(graph_of, preset: str) -> None:
    """No retry of the same deployment (LiteLLM backs off 0.5 s, 1 s, ... before it) and the count cooldown rule
    (any allowed_fails_policy selects it in litellm/router_utils/cooldown_handlers.py at 1.81.16)."""
    spec = load_spec(preset, "prod")
    for config in rendered_configs(graph_of(preset, "prod")):
        deployments = groups(config)
        router = config["router_settings"]
        assert router["allowed_fails_policy"] == {"TimeoutErrorAllowedFails": spec.gateway.allowed_fails}
        for source in fallbacks(config):
            if len(deployments[source]) == 1:
                assert deployments[source][0]["litellm_params"]["num_retries"] == 0
        for group in deployments.values():
            for entry in group:
                params = entry["litellm_params"]
                if "stream_timeout" in params:
                    assert params["stream_timeout"] <= params["timeout"] <= spec.gateway.request_timeout_s


def test_a_pinned_fallback_limit_below_the_traffic_falling_back_is_refused() -> None:
    with pytest.raises(SpecError) as error:
        load_spec("enterprise-assistant", "prod",
                  overrides={"gateway": {"model_limits": {"assistant-fallback": {"rpm": 100}}}})
    assert str(error.value) == (
        "overrides.gateway.model_limits[assistant-fallback].rpm: 100 cannot carry the planned traffic of "
        "assistant-fallback and of assistant falling back to it (allowed: >= 540)")
