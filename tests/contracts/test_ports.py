"""The port graph of every preset x environment is consistent: each call the platform wires (LiteLLM backends,
in-cluster URLs, ALB bindings, Prometheus scrapes) reaches a port the target pods expose, their NetworkPolicies
admit, and, for model servers, a path the server in that image serves. Broken wiring (the old Triton variant, a
renamed port) is caught."""

from __future__ import annotations

import copy
import dataclasses
import re

import pytest

from blueprints.contracts import ports
from blueprints.contracts.ports import check_cluster, check_ports, cluster_objects
from blueprints.engine.program import build_graph
from blueprints.render import HELM_RELEASE
from blueprints.serving import engines
from tests.conftest import PRESET_ENVS
from tests.support.helm import render_release

CHART_MADE = {"opentelemetry-collector", "kube-prometheus-stack-prometheus", "['karpenter']", "['keda']"}
"""Targets of calls and monitors that upstream charts make (not objects of the graph): all the report may list."""


def _self_hosted_backends(graph) -> set[str]:
    """`api_base` of every in-cluster backend in the gateways' LiteLLM configs, read independently of the check."""
    found = set()
    for objects in cluster_objects(graph).values():
        for obj in objects:
            if obj.get("kind") == "ConfigMap" and "config.yaml" in (obj.get("data") or {}):
                found |= set(re.findall(r"api_base: (http://\S+\.svc\.cluster\.local\S*)", obj["data"]["config.yaml"]))
    return found


def _assert_consistent(graph) -> None:
    report = check_ports(graph)
    assert report.problems == []
    called = {call.split(" -> ")[1] for call in report.checked_calls}
    assert _self_hosted_backends(graph) <= called
    external = {re.search(r"-> https?://([^.]+)\.|chart-made pods in (\[.*\])$", entry).group(1, 2)
                for entry in report.external}
    assert {service or pods for service, pods in external} <= CHART_MADE


@pytest.mark.parametrize(("preset", "env"), PRESET_ENVS)
def test_every_preset_has_a_consistent_port_graph(graph_of, preset, env):
    _assert_consistent(graph_of(preset, env))


def test_calls_into_chart_made_services_resolve_with_the_real_charts(graph_of):
    """Render every Helm release of one region with its pinned chart: the OTel collector's OTLP port, Karpenter's and
    KEDA's metrics ports, Prometheus' Service port are what the platform's URLs and monitors use. Only pods an
    operator makes at run time (Prometheus itself) stay external."""
    graph, region = graph_of("regulated-industry", "prod"), "eu-central-1"
    charts = []
    for release in (r for r in graph.resources if r.type == HELM_RELEASE and r.region == region):
        for obj in render_release(release).objects:
            if obj["kind"] in ("Service", "Deployment", "StatefulSet", "DaemonSet"):
                # A copy: rendered objects are cached and shared with other tests.
                metadata = {"namespace": release.inputs["namespace"], **obj.get("metadata", {})}
                charts.append({**obj, "metadata": metadata})
    report = check_cluster(region, cluster_objects(graph)[region], charts)
    assert report.problems == []
    called = " ".join(report.checked_calls)
    assert "env OTEL_ENDPOINT -> http://opentelemetry-collector.monitoring.svc.cluster.local:4318" in called
    assert all("kube-prometheus-stack-prometheus" in entry and "made at run time" in entry
               for entry in report.external)
    assert report.external


def test_triton_variant_is_wired_end_to_end(graph_of):
    """The gateway reaches each Triton model version's Service (the spec refuses inference routing with Triton)."""
    graph = graph_of("internal-ai", "prod", overrides={"serving": {"engine": "triton"}})
    _assert_consistent(graph)
    report = check_ports(graph)
    model_calls = [call for call in report.checked_calls if call.startswith("us-east-1: LiteLLM")]
    assert model_calls and all(call.endswith(":9000") for call in model_calls)


def test_old_triton_wiring_is_caught(monkeypatch):
    """The variant as it was: the gateway's OpenAI client on Triton's KServe port 8000 (api_path ""), metrics on
    8002 behind a NetworkPolicy that admits only `http`. The old server's routes are Triton's KServe v2 HTTP API
    (triton-inference-server/server r26.09 src/http_server.cc) and its metrics port (src/main.cc, --metrics-port)."""
    old = dataclasses.replace(engines.ENGINES["triton"], port=8000, api_path="", health_path="/v2/health/ready",
                              metrics_port=8002)
    monkeypatch.setitem(engines.ENGINES, "triton", old)
    monkeypatch.setitem(ports.SERVER_ROUTES, "triton-trtllm", {
        8000: frozenset({"/v2/health/ready", "/v2/models/{model}/generate", "/v2/models/{model}/generate_stream",
                         "/v2/models/{model}/infer"}),
        8002: frozenset({"/metrics"}),
    })
    problems = check_ports(build_graph("internal-ai", "prod", overrides={"serving": {"engine": "triton"}})).problems
    assert any(re.search(r"LiteLLM corp-large .*serves no /chat/completions on port 8000", p) for p in problems)
    assert any(re.search(r"PodMonitor models/corp-large: NetworkPolicy of models does not admit Prometheus .* "
                         r"port 8002", p) for p in problems)


def _mutated(graph_of, change) -> list[str]:
    objects = copy.deepcopy(cluster_objects(graph_of("internal-ai", "prod"))["us-east-1"])
    change(objects)
    return check_cluster("us-east-1", objects).problems


def _first(objects, kind, namespace):
    return next(o for o in objects if o.get("kind") == kind and o["metadata"]["namespace"] == namespace)


def _named(objects, kind, name):
    return next(o for o in objects if o.get("kind") == kind and o["metadata"]["name"] == name)


def test_renamed_target_port_is_caught(graph_of):
    def rename(objects):
        _first(objects, "Service", "models")["spec"]["ports"][0]["targetPort"] = "api"

    assert any("targetPort 'api' is no containerPort" in p for p in _mutated(graph_of, rename))


def test_policy_closing_the_backend_port_is_caught(graph_of):
    def close(objects):
        policy = _named(objects, "NetworkPolicy", "model-servers")
        policy["spec"]["ingress"][0]["ports"] = [{"protocol": "TCP", "port": 8001}]

    problems = _mutated(graph_of, close)
    assert any(re.search(r"LiteLLM .* does not admit gateway to Deployment/corp-\S+ port 8000", p) for p in problems)
    assert any("does not admit Prometheus" in p for p in problems)


def test_monitor_on_a_missing_port_is_caught(graph_of):
    def rename(objects):
        _first(objects, "PodMonitor", "models")["spec"]["podMetricsEndpoints"][0]["port"] = "metrics"

    assert any("port 'metrics' is no containerPort" in p for p in _mutated(graph_of, rename))


def test_policy_naming_an_unknown_port_is_caught(graph_of):
    def rename(objects):
        policy = _named(objects, "NetworkPolicy", "model-servers")
        policy["spec"]["ingress"][0]["ports"].append({"protocol": "TCP", "port": "grpc"})

    assert any("admits port 'grpc', which no selected pod names" in p for p in _mutated(graph_of, rename))
