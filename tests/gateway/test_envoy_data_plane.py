"""The Envoy data plane (blueprints/gateway/envoy_data_plane.py): every custom resource it emits passes strict
validation (unknown fields, CEL rules) against the vendored Envoy AI Gateway v1.1.0 / Envoy Gateway v1.9.0 CRDs,
the Envoy Gateway chart renders its rate-limit values, and `gateway.data_plane` is chosen and refused as documented."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from blueprints.components.inference_routing import GATEWAY_NAME, envoy_gateway_values
from blueprints.errors import SpecError
from blueprints.gateway.capacity import ENVOY_ABOVE_CORES, HPA_CPU_UTILIZATION, KEY_CHECK, gateway_sizing
from blueprints.gateway.data_plane import data_plane, envoy_threshold_rps, litellm_sizing, routed_models
from blueprints.gateway.envoy_data_plane import KEY_ID_HEADER, LITELLM_NAME, MODEL_HEADER, envoy_objects
from blueprints.plan import build_plan
from blueprints.presets import load_spec
from blueprints.spec import PlatformSpec
from tests.support.helm import render_chart
from tests.support.schemas import validate_manifest

# enterprise-assistant with the LiteLLM-only features off, so that Envoy routes its self-hosted model itself.
LEAN = {"gateway": {"fallbacks": {"assistant": []}, "bedrock_guardrail": None, "data_plane": "envoy"},
        "cache": {"enabled": False}, "feedback": {"enabled": False}}


ENVOY = {"gateway": {"data_plane": "envoy"}}


def _lean() -> PlatformSpec:
    """LEAN without the preset's teams either: their budgets count spend in LiteLLM (no list override removes them)."""
    spec = load_spec("enterprise-assistant", "prod", overrides=LEAN)
    return spec.model_copy(update={"access": spec.access.model_copy(update={"teams": []})})


def _objects(spec: PlatformSpec) -> list[dict]:
    return envoy_objects(spec, {model.name for model in routed_models(spec)}, GATEWAY_NAME)


def _rules(spec: PlatformSpec) -> dict[str, dict]:
    route = next(o for o in _objects(spec) if o["kind"] == "AIGatewayRoute")
    return {rule["name"]: rule for rule in route["spec"]["rules"]}


@pytest.mark.parametrize("lean", [True, False], ids=["lean", "as-preset"])
def test_every_custom_resource_validates_strictly_against_the_vendored_crds(lean: bool) -> None:
    spec = _lean() if lean else load_spec("enterprise-assistant", "prod", overrides=ENVOY)
    objects = _objects(spec)
    assert {o["kind"] for o in objects} == {"Backend", "AIServiceBackend", "AIGatewayRoute", "BackendTrafficPolicy",
                                            "SecurityPolicy", "EnvoyExtensionPolicy"}
    assert [problem for manifest in objects for problem in validate_manifest(manifest)] == []


def test_a_route_mixing_pool_and_service_backends_is_refused_by_the_crd() -> None:
    """The validator applies the AIGatewayRoute CRD's CEL rules: the test above would catch a bad rule."""
    route = next(o for o in _objects(_lean())
                 if o["kind"] == "AIGatewayRoute")
    route["spec"]["rules"][0]["backendRefs"].append({"name": LITELLM_NAME})
    assert any("cannot mix InferencePool and AIServiceBackend" in p for p in validate_manifest(route))


def test_envoy_routes_the_pooled_model_and_leaves_the_rest_to_litellm() -> None:
    rules = _rules(_lean())
    assert rules["assistant"]["matches"] == [{"headers": [{"type": "Exact", "name": MODEL_HEADER,
                                                           "value": "assistant"}]}]
    assert rules["assistant"]["backendRefs"] == [{"group": "inference.networking.k8s.io", "kind": "InferencePool",
                                                  "name": "assistant"}]
    assert rules["assistant-fallback"]["backendRefs"] == [{"name": LITELLM_NAME}]
    assert rules["auto"]["backendRefs"] == [{"name": LITELLM_NAME}]  # the tier router runs in LiteLLM


def test_team_budgets_keep_their_models_on_litellm() -> None:
    rules = _rules(load_spec("enterprise-assistant", "prod", overrides=LEAN))
    assert rules["assistant"]["backendRefs"] == [{"name": LITELLM_NAME}]


def test_guardrails_keep_every_model_on_litellm() -> None:
    rules = _rules(load_spec("enterprise-assistant", "prod", overrides={"gateway": {"data_plane": "envoy"}}))
    assert {ref["name"] for rule in rules.values() for ref in rule["backendRefs"]} == {LITELLM_NAME}


def test_policies_limit_each_key_and_check_it_with_litellm() -> None:
    spec = _lean()
    by_kind = {o["kind"]: o for o in _objects(spec)}
    limit = by_kind["BackendTrafficPolicy"]["spec"]["rateLimit"]["global"]["rules"][0]
    assert limit["limit"] == {"requests": spec.gateway.rpm_per_key, "unit": "Minute"}
    auth = by_kind["SecurityPolicy"]["spec"]["extAuth"]
    assert auth["http"]["pathOverride"] == "/key/health" and auth["headersToExtAuth"] == ["authorization"]


def test_the_rate_limit_counts_per_key_id_never_per_raw_key() -> None:
    """envoyproxy/ratelimit names its Redis counters after the descriptor values (src/limiter/cache_key.go
    GenerateCacheKey: prefix, domain, each entry's key and value, the window; Envoy Gateway v1.9.0 runs its image
    17b1956c, api/v1alpha1/shared_types.go DefaultRateLimitImage), so a selector on Authorization would store every
    caller's key in Valkey. The limit is per `x-blueprints-key-id` instead, which the Lua filter
    of the same route sets from the key (tests/gateway/test_envoy_key_id.py runs it)."""
    objects = _objects(_lean())
    by_kind = {o["kind"]: o for o in objects}
    limit = by_kind["BackendTrafficPolicy"]["spec"]
    assert limit["rateLimit"]["global"]["rules"][0]["clientSelectors"] == [
        {"headers": [{"type": "Distinct", "name": KEY_ID_HEADER}]}]
    lua = by_kind["EnvoyExtensionPolicy"]["spec"]
    assert lua["targetRefs"] == limit["targetRefs"] == by_kind["SecurityPolicy"]["spec"]["targetRefs"]
    assert [(f["type"], KEY_ID_HEADER in f["inline"]) for f in lua["lua"]] == [("Inline", True)]


def test_envoy_gateway_chart_renders_the_rate_limit_service_on_redis() -> None:
    """Envoy Gateway's chart (v1.9.0) copies `config.envoyGateway` into its ConfigMap: the rate-limit backend must
    arrive there intact beside the values inference_routing already gives it."""
    values = envoy_gateway_values(load_spec("enterprise-assistant", "prod", overrides=ENVOY), "valkey.example:6379")
    rendered = render_chart("envoy-gateway", values, "envoy-gateway", "envoy-gateway-system")
    assert rendered.warnings == ()
    config = yaml.safe_load(rendered.one("ConfigMap")["data"]["envoy-gateway.yaml"])
    assert config["rateLimit"] == {"backend": {"type": "Redis", "redis": {"url": "valkey.example:6379", "tls": {}}},
                                   "failClosed": False}
    assert config["extensionApis"]["enableBackend"] is True  # the Backend kind the data plane uses
    assert config["extensionApis"]["enableLua"] is True  # Lua EnvoyExtensionPolicies are off by default in v1.9.0
    assert "rateLimit" not in yaml.safe_load(render_chart(
        "envoy-gateway", envoy_gateway_values(load_spec("enterprise-assistant", "prod")), "envoy-gateway",
        "envoy-gateway-system").one("ConfigMap")["data"]["envoy-gateway.yaml"])


def test_auto_stays_on_litellm_for_every_preset_peak_and_switches_above_the_threshold() -> None:
    spec = load_spec("enterprise-assistant", "prod")
    assert data_plane(spec).kind == "litellm"
    sizing = gateway_sizing(spec)
    threshold = envoy_threshold_rps(sizing)
    assert threshold == round(ENVOY_ABOVE_CORES * 1000 / sizing.cpu_ms_per_request * HPA_CPU_UTILIZATION / 100, 1)
    busy = load_spec("enterprise-assistant", "prod",
                     overrides={"serving": {"models": [{"traffic": {"requests_per_second": 200}}]}})
    choice = data_plane(busy)
    assert choice.kind == "envoy", choice
    assert f"peak 201 req/s > {threshold:g}" in choice.line()
    assert "the ALB sends /v1/chat/completions" in choice.line()


def test_plan_says_which_data_plane_and_why(graph_of) -> None:
    line = build_plan(load_spec("saas", "prod"), graph_of("saas", "prod"), date(2026, 12, 4)).summary["data_plane"]
    threshold = envoy_threshold_rps(gateway_sizing(load_spec("saas", "prod")))
    assert line == f"data plane: litellm (auto: peak 25 req/s <= {threshold:g} req/s, 3 LiteLLM cores at 60% CPU)"


def test_envoy_on_a_platform_without_inference_routing_is_refused_with_one_line() -> None:
    with pytest.raises(SpecError) as error:
        load_spec("internal-ai", "prod", overrides={"gateway": {"data_plane": "envoy"}})
    assert "gateway.data_plane: envoy routes to the InferencePools" in str(error.value)
    with pytest.raises(SpecError, match=r"gateway\.data_plane"):
        load_spec("internal-ai", "prod", overrides={"gateway": {"data_plane": "nginx"}})


def test_litellm_is_sized_for_key_checks_of_what_envoy_carries_and_the_whole_of_the_rest() -> None:
    # Measured (bench/envoy_key_check.py, bench/envoy_data_plane.py with a real Envoy): a key check costs LiteLLM
    # 1.9-2.6 ms of CPU against 15-42 ms for a request it carries.
    lean = _lean()
    pooled = set(data_plane(lean).pooled)
    assert pooled
    alone, on_envoy = gateway_sizing(lean), litellm_sizing(lean)
    share = sum(m.traffic.requests_per_second for m in lean.serving.models if m.name not in pooled) / alone.peak_rps
    assert on_envoy.cpu_ms_per_request < alone.cpu_ms_per_request
    assert on_envoy.cpu_ms_per_request >= KEY_CHECK.non_streamed_ms + share * min(
        alone.cost.non_streamed_ms, alone.cost.streamed_ms) - 1e-9
    assert "LiteLLM checks every request's key" in on_envoy.line()
    # Everything through LiteLLM (the preset's guardrail, cache and budgets): each request pays the check besides.
    preset = load_spec("enterprise-assistant", "prod", overrides=ENVOY)
    assert data_plane(preset).pooled == ()
    assert litellm_sizing(preset).cpu_ms_per_request == pytest.approx(
        gateway_sizing(preset).cpu_ms_per_request + KEY_CHECK.non_streamed_ms)
    # On LiteLLM's own data plane nothing changes.
    plain = load_spec("saas", "prod")
    assert litellm_sizing(plain) == gateway_sizing(plain)
