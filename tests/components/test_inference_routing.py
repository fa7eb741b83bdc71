"""KV-cache and queue-aware routing: Envoy Gateway + Gateway API Inference Extension objects, valid against the
upstream CRD schemas, and LiteLLM pointed at them for the routed models only."""

from __future__ import annotations

import yaml

from blueprints.components.inference_routing import http_route, inference_pool_values, routed_base_url
from blueprints.gateway.manifests import CONFIG_KEY
from blueprints.presets import load_spec
from blueprints.render import kubernetes_object
from tests.support.schemas import validate_manifest

CUSTOM_GROUPS = ("gateway.networking.k8s.io", "gateway.envoyproxy.io")


def test_custom_resources_validate_against_upstream_crds(graph_of) -> None:
    graph = graph_of("regulated-industry", "prod")
    objects = [kubernetes_object(r) for r in graph.resources if r.type.startswith("kubernetes:")
               and r.type.split(":")[1].split("/")[0] in CUSTOM_GROUPS]
    assert {o["kind"] for o in objects} == {"GatewayClass", "EnvoyProxy", "Gateway", "HTTPRoute"}
    assert [problem for manifest in objects for problem in validate_manifest(manifest)] == []


def test_one_inference_pool_per_routed_model_reading_the_engine_gauges(graph_of) -> None:
    graph = graph_of("regulated-industry", "prod")
    pools = {r.inputs["name"]: r.inputs for r in graph.resources if r.type == "kubernetes:helm.sh/v3:Release"
             and r.inputs["chart"].endswith("/inferencepool") and r.region == "eu-central-1"}
    assert set(pools) == {"reg-large", "reg-small"}
    values = pools["reg-large"]["values"]
    assert values["inferencePool"]["modelServers"]["matchLabels"] == {"blueprints.io/model": "reg-large"}
    # What the endpoint picker makes of these is asserted on the rendered chart (tests/components/test_helm_charts.py).
    assert values["inferencePool"]["modelServerType"] == "trtllm-serve"
    assert values["inferenceExtension"]["metricsDataSource"] == {"path": "/prometheus/metrics"}


def test_litellm_reaches_routed_models_through_the_inference_gateway(graph_of) -> None:
    graph = graph_of("regulated-industry", "prod")
    config_map = next(kubernetes_object(r) for r in graph.resources if r.type == "kubernetes:core/v1:ConfigMap"
                      and r.region == "eu-central-1" and "gateway" in r.name
                      and CONFIG_KEY in kubernetes_object(r).get("data", {}))
    bases = {m["model_name"]: m["litellm_params"]["api_base"]
             for m in yaml.safe_load(config_map["data"][CONFIG_KEY])["model_list"]}
    # reg-large's fallback reaches reg-small around Envoy (its own Service), so that both do not share one path.
    assert bases == {"reg-large": routed_base_url("reg-large"), "reg-small": routed_base_url("reg-small"),
                     "reg-small-direct": "http://reg-small-2026-11-01.models.svc.cluster.local:8000/v1"}


def test_not_deployed_where_the_preset_does_not_ask(graph_of) -> None:
    graph = graph_of("internal-ai", "prod")
    assert not [r for r in graph.resources if r.type == "blueprints:gateway:InferenceRouting"]


def test_route_rewrites_the_model_prefix() -> None:
    spec = load_spec("enterprise-assistant", "prod")
    route = http_route(spec.serving.models[0])
    rule = route["spec"]["rules"][0]
    assert rule["matches"][0]["path"] == {"type": "PathPrefix", "value": "/assistant/"}
    assert rule["backendRefs"][0]["kind"] == "InferencePool"
    assert validate_manifest(route) == []
    assert inference_pool_values(spec, spec.serving.models[0])["inferencePool"]["targetPorts"] == [{"number": 8000}]
