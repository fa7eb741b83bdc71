"""The retrieval service in the presets that enable retrieval: image repository, Deployment, Service, HPA,
PodDisruptionBudget, NetworkPolicies and a pod identity that connects as the reader role; every object strictly
valid, and the Deployment's environment read by the service's own settings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from blueprints.engine.graph import ResourceGraph
from blueprints.retrieval.embedders import BedrockEmbedder, HttpEmbedder
from blueprints.retrieval.manifests import INGESTION, SERVICE, SERVICE_PORT
from blueprints.retrieval.schema import READER_ROLE
from blueprints.retrieval.settings import Settings
from tests.conftest import GraphOf
from tests.retrieval.test_manifests import _problems


def _objects(graph: ResourceGraph) -> dict[str, dict[str, Any]]:
    """The service's objects by kind (its egress NetworkPolicy; the ingress one is the namespace's)."""
    found = {}
    for record in graph.resources:
        if record.type.startswith("kubernetes:") and record.inputs.get("metadata", {}).get("name", "") in (
                SERVICE, f"{SERVICE}-egress", INGESTION) and record.inputs["metadata"]["namespace"] == "retrieval":
            found[record.inputs["kind"]] = {key: value for key, value in record.inputs.items()
                                            if not key.startswith("__")}
    return found


def test_a_podmonitor_scrapes_the_service(graph_of: GraphOf) -> None:
    [monitor] = [r.inputs for r in graph_of("enterprise-assistant", "prod").resources
                 if r.inputs.get("kind") == "PodMonitor" and r.inputs["metadata"]["name"] == SERVICE]
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["retrieval"]}
    assert monitor["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": SERVICE}}
    assert monitor["spec"]["podMetricsEndpoints"][0]["portNumber"] == SERVICE_PORT


def _policy(graph: ResourceGraph) -> list[dict[str, Any]]:
    [record] = [r for r in graph.of_type("aws:iam/rolePolicy:RolePolicy") if r.name.endswith(SERVICE)]
    return json.loads(record.inputs["policy"])["Statement"]


@pytest.mark.parametrize(("preset", "env"), [("enterprise-assistant", "prod"), ("internal-ai", "dev")])
def test_the_service_is_deployed_valid_and_scoped(graph_of: GraphOf, preset: str, env: str) -> None:
    graph = graph_of(preset, env)
    objects = _objects(graph)
    prod = env == "prod"
    assert set(objects) == {"ServiceAccount", "Deployment", "Service", "HorizontalPodAutoscaler", "NetworkPolicy",
                            "CronJob", *(["PodDisruptionBudget"] if prod else [])}
    for manifest in objects.values():
        assert _problems(manifest) == [], manifest["kind"]
    deployment, hpa = objects["Deployment"], objects["HorizontalPodAutoscaler"]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": SERVICE}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == ((2, 8) if prod else (1, 4))
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"].endswith(f"/{SERVICE}:" + container["image"].rsplit(":", 1)[1])
    assert pod["serviceAccountName"] == SERVICE and pod["securityContext"]["runAsNonRoot"] is True
    environment = {item["name"]: item["value"] for item in container["env"]}
    settings = Settings.from_environment(environment)
    assert (settings.db_user, settings.db_name, settings.index) == (READER_ROLE, "rag", "documents")
    assert settings.db_host == graph.stack_outputs["regions"]["us-east-1"]["retrieval"]["reader_endpoint"]
    embedder = settings.embedder()
    assert isinstance(embedder, BedrockEmbedder if preset == "enterprise-assistant" else HttpEmbedder)
    assert embedder.dimension == 1024
    job = objects["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [worker] = job["containers"]
    assert (job["serviceAccountName"], worker["image"], worker["command"][-1]) == (
        "ingestion", container["image"], "blueprints.retrieval.worker")
    ingestion = Settings.from_environment({item["name"]: item["value"] for item in worker["env"]})
    outputs = graph.stack_outputs["regions"]["us-east-1"]["retrieval"]
    assert (ingestion.db_user, ingestion.db_host, ingestion.documents_bucket) == (
        "ingestion", outputs["endpoint"], outputs["documents_bucket"])
    ingress = [r.inputs for r in graph.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
               if r.inputs["metadata"]["name"] == f"{SERVICE}-from-cluster"]
    assert ingress and ingress[0]["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": SERVICE_PORT}]
    egress = objects["NetworkPolicy"]["spec"]["egress"]
    assert {"protocol": "TCP", "port": 5432} in [port for rule in egress for port in rule["ports"]]

    statements = _policy(graph)
    actions = {action for statement in statements for action in statement["Action"]}
    assert actions == {"rds-db:connect", "s3:ListBucket", *(["bedrock:InvokeModel"] if preset ==
                                                             "enterprise-assistant" else [])}
    [connect] = [s for s in statements if s["Action"] == ["rds-db:connect"]]
    assert connect["Resource"][0].endswith(f"/{READER_ROLE}")
    association = [r.inputs for r in graph.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                   if r.inputs["serviceAccount"] == SERVICE]
    assert association and association[0]["namespace"] == "retrieval"
    assert [r for r in graph.of_type("aws:ecr/repository:Repository") if r.inputs["name"].endswith(f"/{SERVICE}")]


def test_with_qdrant_the_service_and_ingestion_search_qdrant_with_its_synced_key(graph_of: GraphOf) -> None:
    """`vector_store: qdrant`: the same service and ingestion, configured for the in-cluster Qdrant (its URL and
    the API key from the synced Secret the Qdrant chart also reads), egress to Qdrant's HTTP port, and no database
    access in their identities."""
    graph = graph_of("enterprise-assistant", "prod", overrides={"retrieval": {"vector_store": "qdrant"}})
    objects = _objects(graph)
    assert {"Deployment", "Service", "CronJob", "NetworkPolicy"} <= set(objects)
    for manifest in objects.values():
        assert _problems(manifest) == [], manifest["kind"]
    outputs = graph.stack_outputs["regions"]["us-east-1"]["retrieval"]
    [container] = objects["Deployment"]["spec"]["template"]["spec"]["containers"]
    [worker] = objects["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    for env in (container["env"], worker["env"]):
        secret = {item["name"]: item["valueFrom"]["secretKeyRef"] for item in env if "valueFrom" in item}
        assert secret == {"RAG_QDRANT_API_KEY": {"name": outputs["api_key_kubernetes_secret"], "key": "api-key"}}
        settings = Settings.from_environment({item["name"]: item.get("value", "key") for item in env})
        assert (settings.qdrant_url, settings.qdrant_replication_factor, settings.db_host) == (
            outputs["endpoint"], 3, None)
    egress = [port["port"] for rule in objects["NetworkPolicy"]["spec"]["egress"] for port in rule["ports"]]
    assert 6333 in egress and 5432 not in egress
    actions = {action for statement in _policy(graph) for action in statement["Action"]}
    assert actions == {"s3:ListBucket", "bedrock:InvokeModel"}
    assert outputs["retrieval_service_url"] == f"http://{SERVICE}.retrieval.svc.cluster.local"
