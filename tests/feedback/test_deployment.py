"""The feedback service as the presets deploy it (components/feedback.py, feedback/manifests.py): the table, the
API's least-privilege identity, /v1/feedback on the gateway's ALB, Kubernetes objects valid against the upstream
schemas, PodMonitors that select its pods, and the environment its processes read (Settings.from_env)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from blueprints.feedback.manifests import workload_manifests
from blueprints.feedback.settings import Settings
from blueprints.observability.monitors import scrape_targets
from blueprints.presets import load_spec
from blueprints.render import kubernetes_object
from tests.batch.support import validate

EKS_PRESETS = ["enterprise-assistant", "internal-ai", "regulated-industry", "saas"]


def feedback_objects(graph: Any) -> list[dict[str, Any]]:
    return [kubernetes_object(r) for r in graph.resources if r.type.startswith("kubernetes:")
            and (r.inputs.get("metadata", {}).get("namespace") == "feedback"
                 or r.inputs.get("metadata", {}).get("name") == "feedback")]


@pytest.mark.parametrize("preset", EKS_PRESETS)
def test_every_eks_preset_deploys_the_service_with_valid_objects(graph_of, preset: str) -> None:
    objects = feedback_objects(graph_of(preset, "prod"))
    kinds = {o["kind"] for o in objects}
    assert {"Namespace", "Deployment", "Service", "ServiceAccount", "NetworkPolicy", "ExternalSecret",
            "TargetGroupBinding", "PodDisruptionBudget"} <= kinds
    for manifest in objects:
        assert validate(manifest) == [], manifest["metadata"]["name"]
    deployments = {o["metadata"]["name"] for o in objects if o["kind"] == "Deployment"}
    # Where prompts may not be stored nothing is sampled, so no quality worker runs.
    assert deployments == ({"feedback-api"} if preset == "regulated-industry" else {"feedback-api", "feedback-quality"})


def test_startup_mvp_on_fargate_has_no_feedback_service(graph_of) -> None:
    assert not [r for r in graph_of("startup-mvp", "prod").resources if r.type == "blueprints:feedback:FeedbackService"]


def test_the_table_has_pitr_and_the_data_key_and_the_api_may_only_put_and_get_its_items(graph_of) -> None:
    graph = graph_of("internal-ai", "prod")
    [table] = [r for r in graph.of_type("aws:dynamodb/table:Table") if r.inputs["name"].endswith("-feedback")]
    assert (table.inputs["hashKey"], table.inputs["attributes"]) == ("request_id", [{"name": "request_id",
                                                                                    "type": "S"}])
    assert table.inputs["pointInTimeRecovery"] == {"enabled": True}
    [data_key] = [r for r in graph.of_type("aws:kms/key:Key") if r.name.endswith("-data")]
    assert table.inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": data_key.outputs["arn"]}
    assert table.inputs["deletionProtectionEnabled"] is True
    [policy] = [json.loads(r.inputs["policy"]) for r in graph.of_type("aws:iam/rolePolicy:RolePolicy")
                if r.name.endswith("-feedback-api")]
    assert [(s["Effect"], sorted(s["Action"]), s["Resource"]) for s in policy["Statement"]] == [
        ("Allow", ["dynamodb:GetItem", "dynamodb:PutItem"], [table.outputs["arn"]])]
    associations = {(r.inputs["namespace"], r.inputs["serviceAccount"])
                    for r in graph.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                    if r.inputs["namespace"] == "feedback"}
    assert associations == {("feedback", "feedback-api")}  # the quality worker has no AWS identity
    grants = [r for r in graph.of_type("aws:kms/grant:Grant") if r.name.endswith("-feedback-api-data")]
    assert len(grants) == 1 and data_key.outputs["arn"].endswith(grants[0].inputs["keyId"])


def test_feedback_joins_the_gateways_alb_on_its_path(graph_of) -> None:
    graph = graph_of("internal-ai", "prod")
    [rule] = [r.inputs for r in graph.of_type("aws:lb/listenerRule:ListenerRule") if r.name.endswith("-feedback")]
    [listener] = [r for r in graph.of_type("aws:lb/listener:Listener") if r.inputs["port"] == 443]
    assert rule["listenerArn"] == listener.outputs["arn"]
    assert rule["conditions"] == [{"pathPattern": {"values": ["/v1/feedback", "/v1/feedback/*"]}}]
    [group] = [r for r in graph.of_type("aws:lb/targetGroup:TargetGroup") if r.name.endswith("-tg-feedback")]
    assert rule["actions"] == [{"type": "forward", "targetGroupArn": group.outputs["arn"]}]
    assert (group.inputs["port"], group.inputs["healthCheck"]["path"]) == (8080, "/healthz")
    [binding] = [o for o in feedback_objects(graph) if o["kind"] == "TargetGroupBinding"]
    assert binding["spec"] == {"targetGroupARN": group.outputs["arn"], "targetType": "ip",
                               "serviceRef": {"name": "feedback-api", "port": 80}}
    # The gateway admits the feedback namespace (key checks, judge calls).
    [gateway_policy] = [o for o in (kubernetes_object(r) for r in graph.of_type(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy")) if o["metadata"]["name"] == "litellm"]
    peers = [peer for rule in gateway_policy["spec"]["ingress"] for peer in rule["from"]]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "feedback"}}} in peers


def test_pod_monitors_select_the_pods_on_their_metrics_ports() -> None:
    spec = load_spec("internal-ai", "prod")
    objects = workload_manifests(spec, image="i", region="us-east-1", table="t", redis_host="r",
                                 gateway_url="http://gw:4000")
    targets = [t for t in scrape_targets(True, True, False, True, True) if t.namespace == "feedback"]
    assert len(targets) == 2
    for target in targets:
        [pod] = [o["spec"]["template"] for o in objects if o["kind"] == "Deployment"
                 and target.pod_labels.items() <= o["spec"]["template"]["metadata"]["labels"].items()]
        assert target.port in [p["containerPort"] for p in pod["spec"]["containers"][0]["ports"]]


def test_the_environment_is_what_the_processes_read() -> None:
    spec = load_spec("internal-ai", "prod")
    objects = workload_manifests(spec, image="i", region="us-east-1", table="feedback-table", redis_host="valkey",
                                 gateway_url="http://gw:4000")
    [worker] = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "feedback-quality"]
    env = {e["name"]: e["value"] for e in worker["spec"]["template"]["spec"]["containers"][0]["env"] if "value" in e}
    settings = Settings.from_env({**env, "FEEDBACK_REDIS_PASSWORD": "token"})
    assert (settings.table, settings.redis_host, settings.redis_ssl, settings.judge_model) == (
        "feedback-table", "valkey", True, "corp-large")
    assert settings.gateway_key_file == "/var/run/secrets/feedback/gateway-key"
