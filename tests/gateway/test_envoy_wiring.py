"""The Envoy data plane deployed (`gateway.data_plane: envoy`, enterprise-assistant prod): the ALB sends the model
requests to Envoy's Service and everything else to LiteLLM; the data plane's objects are applied through the one
inference-routing Envoy Gateway install and validate strictly against the vendored CRDs; Envoy Gateway's rate-limit
service gets the gateway's Valkey over TLS with its AUTH token, as the real gateway-helm v1.9.0 chart renders it;
the port contract and the default policy packs pass on that graph; `plan` says what Envoy carries."""

from __future__ import annotations

from datetime import date

import boto3
import pytest
import yaml

from blueprints.commands.check import check_graph, default_packs
from blueprints.commands.plan import cost_section
from blueprints.contracts.ports import check_ports
from blueprints.engine.graph import ResourceGraph
from blueprints.engine.program import build_graph
from blueprints.gateway.data_plane import MODEL_PATHS
from blueprints.gateway.envoy_data_plane import (
    CONTAINER_PORT,
    ENVOY_GATEWAY_NAMESPACE,
    KEY_ID_HEADER,
    RATE_LIMIT_REDIS_SECRET,
    READY_PORT,
    SERVICE_NAME,
)
from blueprints.gateway.manifests import NAMESPACE as GATEWAY_NAMESPACE
from blueprints.plan import build_plan
from blueprints.presets import load_spec
from blueprints.render import HELM_RELEASE, kubernetes_object
from tests.support.helm import render_release
from tests.support.schemas import validate_manifest

PRESET, ENV = "enterprise-assistant", "prod"
ENVOY = {"gateway": {"data_plane": "envoy"}}
CUSTOM_GROUPS = ("gateway.networking.k8s.io", "gateway.envoyproxy.io", "aigateway.envoyproxy.io")


@pytest.fixture(scope="module")
def envoy_graph() -> ResourceGraph:
    """The one graph this module builds itself: no preset asks for Envoy (every planned peak is below the threshold),
    so it is the preset's prod with the stack override a user would set."""
    return build_graph(PRESET, ENV, overrides=ENVOY)


def _of(graph: ResourceGraph, type_: str, name_part: str = "") -> list:
    return [r for r in graph.resources if r.type == type_ and name_part in r.name]


def test_the_alb_sends_the_model_paths_to_envoy_and_the_rest_to_litellm(envoy_graph) -> None:
    rules = {r.name: r.inputs for r in _of(envoy_graph, "aws:lb/listenerRule:ListenerRule")}
    groups = {r.name: r.inputs for r in _of(envoy_graph, "aws:lb/targetGroup:TargetGroup")}
    envoy_rule = next(inputs for name, inputs in rules.items() if name.endswith("-rule-envoy"))
    assert envoy_rule["conditions"] == [{"pathPattern": {"values": list(MODEL_PATHS)}}]
    target = envoy_rule["actions"][0]["targetGroupArn"]
    assert "tg-envoy" in target
    # Everything else (admin API /key, /team, the UI, /v1/embeddings, /v1/models) falls to the default: LiteLLM.
    listener = next(r.inputs for r in _of(envoy_graph, "aws:lb/listener:Listener", "alb-https"))
    assert "tg-gateway" in listener["defaultActions"][0]["targetGroupArn"]
    envoy_group = next(inputs for name, inputs in groups.items() if name.endswith("tg-envoy"))
    # Pod IPs on Envoy's container port (listener 80 + 10000), health from Envoy's readiness listener (envoyproxy/
    # gateway v1.9.0 internal/xds/bootstrap/bootstrap.go: EnvoyReadinessPort 19003, EnvoyReadinessPath /ready).
    assert envoy_group["port"] == CONTAINER_PORT == 10080 and envoy_group["targetType"] == "ip"
    assert (envoy_group["healthCheck"]["port"], envoy_group["healthCheck"]["path"]) == ("19003", "/ready")
    ingress = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
    opened = {r.inputs["fromPort"] for r in _of(envoy_graph, ingress, "cluster-from-alb")}
    assert {CONTAINER_PORT, READY_PORT} <= opened


def test_envoys_service_is_bound_to_the_model_target_group(envoy_graph) -> None:
    bindings = [kubernetes_object(r) for r in envoy_graph.resources if r.type.endswith(":TargetGroupBinding")]
    envoy = next(b for b in bindings if b["spec"]["serviceRef"]["name"] == SERVICE_NAME)
    assert envoy["metadata"]["namespace"] == GATEWAY_NAMESPACE
    assert envoy["spec"]["serviceRef"]["port"] == 80 and "tg-envoy" in envoy["spec"]["targetGroupARN"]
    assert validate_manifest(envoy) == []


def test_data_plane_objects_come_with_the_one_envoy_install_and_validate_against_the_crds(envoy_graph) -> None:
    envoy_releases = [r for r in envoy_graph.resources if r.type == HELM_RELEASE and r.inputs["chart"].endswith(
        "/gateway-helm")]
    assert len(envoy_releases) == 1  # inference routing's install, not a second Envoy Gateway
    objects = [kubernetes_object(r) for r in envoy_graph.resources if r.type.startswith("kubernetes:")
               and r.type.split(":")[1].split("/")[0] in CUSTOM_GROUPS]
    assert {"AIGatewayRoute", "AIServiceBackend", "Backend", "BackendTrafficPolicy", "SecurityPolicy", "Gateway",
            "EnvoyProxy"} <= {o["kind"] for o in objects}
    assert [problem for manifest in objects for problem in validate_manifest(manifest)] == []
    route = next(o for o in objects if o["kind"] == "AIGatewayRoute")
    assert route["spec"]["parentRefs"][0]["name"] == "inference-gateway"
    # Envoy now carries the clients' requests: it scales on CPU (validated above as part of the EnvoyProxy).
    proxy = next(o for o in objects if o["kind"] == "EnvoyProxy")
    hpa = proxy["spec"]["provider"]["kubernetes"]["envoyHpa"]
    assert hpa["minReplicas"] == 3 and hpa["maxReplicas"] >= 3


def _header_selectors(node: object) -> list[str]:
    """The header names of every rate-limit client selector anywhere in an object."""
    if isinstance(node, list):
        return [name for item in node for name in _header_selectors(item)]
    if not isinstance(node, dict):
        return []
    own = [header["name"] for selector in node.get("clientSelectors", []) for header in selector.get("headers", [])]
    return own + [name for key, value in node.items() if key != "clientSelectors" for name in _header_selectors(value)]


def test_no_object_of_the_envoy_graph_rate_limits_on_the_raw_key(envoy_graph) -> None:
    """The rate-limit service names its Valkey counters after the selected header's value: never Authorization."""
    objects = [kubernetes_object(r) for r in envoy_graph.resources if r.type.startswith("kubernetes:")]
    selected = {name.lower() for o in objects for name in _header_selectors(o)}
    assert selected == {KEY_ID_HEADER}


def test_the_rate_limit_service_counts_in_the_gateways_valkey_over_tls_with_its_token(envoy_graph) -> None:
    """Rendered by the real gateway-helm v1.9.0: its ConfigMap carries the EnvoyGateway config Envoy Gateway reads
    (rateLimit, provider.kubernetes.rateLimitDeployment)."""
    release = next(r for r in envoy_graph.resources if r.type == HELM_RELEASE
                   and r.inputs["chart"].endswith("/gateway-helm"))
    rendered = render_release(release)
    assert rendered.warnings == ()
    config = yaml.safe_load(next(o for o in rendered.of_kind("ConfigMap")
                                 if "envoy-gateway.yaml" in o.get("data", {}))["data"]["envoy-gateway.yaml"])
    redis = config["rateLimit"]["backend"]["redis"]
    assert config["rateLimit"]["backend"]["type"] == "Redis" and redis["tls"] == {}
    assert redis["url"].endswith(":6379")
    deployment = config["provider"]["kubernetes"]["rateLimitDeployment"]
    assert deployment["container"]["env"] == [{"name": "REDIS_AUTH", "valueFrom": {"secretKeyRef": {
        "name": RATE_LIMIT_REDIS_SECRET, "key": "auth-token"}}}]
    assert config["provider"]["kubernetes"]["deploy"] == {"type": "GatewayNamespace"}  # inference routing's kept
    assert config["extensionApis"]["enableLua"] is True  # the key-id filter; Lua policies are off by default
    # rateLimitDeployment is a KubernetesDeploymentSpec (envoygateway_types.go v1.9.0), the type of EnvoyProxy's
    # envoyDeployment: the vendored EnvoyProxy CRD checks its fields strictly.
    proxy = {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
             "metadata": {"name": "x", "namespace": ENVOY_GATEWAY_NAMESPACE},
             "spec": {"provider": {"type": "Kubernetes", "kubernetes": {"envoyDeployment": deployment}}}}
    assert validate_manifest(proxy) == []


def test_the_valkey_token_is_synced_into_envoy_gateways_namespace(envoy_graph) -> None:
    secrets = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in
               (kubernetes_object(r) for r in envoy_graph.resources if r.type.endswith(":ExternalSecret"))}
    litellm, ratelimit = secrets[(GATEWAY_NAMESPACE, "valkey-auth")], secrets[(ENVOY_GATEWAY_NAMESPACE,
                                                                               RATE_LIMIT_REDIS_SECRET)]
    assert ratelimit["spec"]["data"] == litellm["spec"]["data"]  # the same Secrets Manager secret and key
    namespace = next(kubernetes_object(r) for r in envoy_graph.resources if r.type == "kubernetes:core/v1:Namespace"
                     and kubernetes_object(r)["metadata"]["name"] == ENVOY_GATEWAY_NAMESPACE)
    assert namespace["metadata"]["labels"]["blueprints.io/external-secrets"] == "allowed"
    policy = next(kubernetes_object(r) for r in envoy_graph.resources
                  if r.type == "kubernetes:networking.k8s.io/v1:NetworkPolicy"
                  and kubernetes_object(r)["metadata"]["namespace"] == ENVOY_GATEWAY_NAMESPACE)
    assert validate_manifest(namespace) == [] and validate_manifest(policy) == []


def test_port_contract_and_default_packs_pass_on_the_envoy_graph(envoy_graph) -> None:
    report = check_ports(envoy_graph)
    assert report.problems == []
    assert any(f"TargetGroupBinding {GATEWAY_NAMESPACE}/{SERVICE_NAME} -> " in call for call in report.checked_calls)
    for pack in default_packs(load_spec(PRESET, ENV, overrides=ENVOY).compliance.level):
        assert [f"{v.policy}: {v.message}" for result in check_graph(envoy_graph, [pack])
                for v in result.violations if v.level == "mandatory"] == [], pack


def test_plan_shows_the_sizing_and_what_envoy_carries(envoy_graph) -> None:
    plan = build_plan(load_spec(PRESET, ENV, overrides=ENVOY), envoy_graph, date(2026, 12, 4))
    summary = plan.summary
    text = cost_section(plan, markdown=False)  # what `plan` prints
    assert f"  {summary['gateway']}" in text and f"  {summary['data_plane']}" in text
    assert summary["gateway"].startswith("gateway: 3-")
    assert summary["data_plane"] == (
        "data plane: envoy (gateway.data_plane): the ALB sends /v1/chat/completions, /v1/completions to Envoy, "
        "which limits each key to 600 req/min and checks it with LiteLLM /key/health; to their InferencePool: none; "
        "through LiteLLM: assistant, assistant-fallback")


def test_litellm_presets_have_no_envoy_route_at_the_alb(graph_of) -> None:
    graph = graph_of(PRESET, ENV)
    assert not _of(graph, "aws:lb/targetGroup:TargetGroup", "tg-envoy")
    assert not [r for r in graph.resources if r.type.endswith(":AIGatewayRoute")]


def test_the_unhealthy_alarm_fires_when_either_litellm_or_envoy_has_no_healthy_target(envoy_graph,
                                                                                        moto_endpoint) -> None:
    """Route 53 follows `gateway-unhealthy`: with Envoy carrying the model requests, Envoy's target group counts too.
    CloudWatch's PutMetricAlarm (botocore's model of the real API, on moto) takes the metric-math alarm as planned."""
    alarm = next(r.inputs for r in _of(envoy_graph, "aws:cloudwatch/metricAlarm:MetricAlarm", "gateway-unhealthy"))
    queries = alarm["metricQueries"]
    watched = [q["metric"]["dimensions"]["TargetGroup"] for q in queries if "metric" in q]
    assert [group.split("/")[1].rsplit("-", 1)[1] for group in watched] == ["gateway", "envoy"]
    assert [q["expression"] for q in queries if q.get("returnData")] == ["MIN([m0, m1])"]

    def metric(query: dict) -> dict:
        found = query["metric"]
        return {"Metric": {"Namespace": found["namespace"], "MetricName": found["metricName"],
                           "Dimensions": [{"Name": k, "Value": v} for k, v in found["dimensions"].items()]},
                "Period": found["period"], "Stat": found["stat"]}

    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=moto_endpoint,
                              aws_access_key_id="test", aws_secret_access_key="test")
    cloudwatch.put_metric_alarm(
        AlarmName=alarm["name"], EvaluationPeriods=alarm["evaluationPeriods"], Threshold=alarm["threshold"],
        ComparisonOperator=alarm["comparisonOperator"], TreatMissingData=alarm["treatMissingData"],
        Metrics=[{"Id": q["id"], "ReturnData": q["returnData"],
                  **({"MetricStat": metric(q)} if "metric" in q else {"Expression": q["expression"],
                                                                        "Label": q["label"]})}
                 for q in queries])
    stored = cloudwatch.describe_alarms(AlarmNames=[alarm["name"]])["MetricAlarms"][0]
    assert [m["Id"] for m in stored["Metrics"]] == ["m0", "m1", "healthy"]
