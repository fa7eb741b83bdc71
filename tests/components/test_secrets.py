"""External Secrets Operator, the ClusterSecretStore, synced secrets, generated secrets and KMS grants."""

from __future__ import annotations

import json

import pytest

from blueprints.components.secrets import STORE_NAME, SYNC_LABEL, cluster_secret_store, external_secret
from blueprints.engine.graph import ResourceGraph
from blueprints.versions import CHARTS
from tests.components.test_retrieval import key_arn, one
from tests.conftest import GraphOf
from tests.support.schemas import validate_manifest


@pytest.fixture(scope="module")
def qdrant_graph(graph_of: GraphOf) -> ResourceGraph:
    return graph_of("enterprise-assistant", "prod", overrides={"retrieval": {"vector_store": "qdrant"}})


def test_custom_resources_match_the_upstream_crds() -> None:
    store = cluster_secret_store("eu-central-1")
    synced = external_secret("db", "retrieval", "arn:aws:secretsmanager:eu-central-1:1:secret:x",
                             {"username": "username", "password": "password", "token": None})
    assert validate_manifest(store) == [] and validate_manifest(synced) == []
    assert store["spec"]["conditions"] == [{"namespaceSelector": {"matchLabels": SYNC_LABEL}}]
    assert synced["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": STORE_NAME}
    assert synced["spec"]["data"][1] == {"secretKey": "token",
                                         "remoteRef": {"key": "arn:aws:secretsmanager:eu-central-1:1:secret:x"}}


def test_every_preset_runs_the_pinned_operator_with_a_store_per_region(graph_of: GraphOf) -> None:
    graph = graph_of("regulated-industry", "prod")
    releases = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if r.name.endswith("external-secrets")]
    assert len(releases) == 2
    assert {r.inputs["version"] for r in releases} == {CHARTS["external-secrets"].version}
    assert all(r.inputs["values"]["replicaCount"] == 2 for r in releases)
    stores = graph.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore")
    assert sorted(s.inputs["spec"]["provider"]["aws"]["region"] for s in stores) == ["eu-central-1", "eu-north-1"]
    assert graph_of("saas", "dev").of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore")


def test_controller_reads_exactly_the_synced_secrets_and_decrypts_through_a_grant(qdrant_graph: ResourceGraph
                                                                                 ) -> None:
    graph = qdrant_graph
    association = one(graph, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "external-secrets").inputs
    assert (association["namespace"], association["serviceAccount"]) == ("external-secrets", "external-secrets")
    reads = [r for r in graph.of_type("aws:iam/rolePolicy:RolePolicy") if "-eso-read-" in r.name]
    readable = {resource for r in reads for s in json.loads(r.inputs["policy"])["Statement"]
                for resource in s["Resource"]}
    synced = {item["remoteRef"]["key"] for r in graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
              for item in r.inputs["spec"]["data"]}
    assert readable == synced
    assert one(graph, "aws:secretsmanager/secret:Secret", "qdrant-api-key").outputs["arn"] in readable
    controller_role = one(graph, "aws:iam/role:Role", "external-secrets").outputs["arn"]
    grant = one(graph, "aws:kms/grant:Grant", "external-secrets-secrets").inputs
    assert grant["granteePrincipal"] == controller_role and grant["operations"] == ["Decrypt", "DescribeKey"]


def test_generated_secrets_come_from_the_rotation_function_never_from_state(qdrant_graph: ResourceGraph) -> None:
    graph = qdrant_graph
    secret = one(graph, "aws:secretsmanager/secret:Secret", "qdrant-api-key").inputs
    assert secret["kmsKeyId"] == key_arn(graph, "secrets") and secret["recoveryWindowInDays"] == 30
    function = one(graph, "aws:lambda/function:Function").inputs
    assert function["runtime"] == "python3.12" and function["kmsKeyArn"] == key_arn(graph, "secrets")
    assert function["vpcConfig"]["subnetIds"]
    rotation = one(graph, "aws:secretsmanager/secretRotation:SecretRotation", "rotate-qdrant-api-key").inputs
    assert rotation["rotationRules"] == {"automaticallyAfterDays": 90}
    permission = one(graph, "aws:lambda/permission:Permission", "rotate-qdrant-api-key").inputs
    assert permission["principal"] == "secretsmanager.amazonaws.com"
    assert permission["sourceArn"] == one(graph, "aws:secretsmanager/secret:Secret", "qdrant-api-key").outputs["arn"]
    policy = json.loads(one(graph, "aws:iam/rolePolicy:RolePolicy", "rotate-qdrant-api-key").inputs["policy"])
    assert policy["Statement"][0]["Resource"] == [permission["sourceArn"]]
    rotated = {r.inputs["secretId"] for r in graph.of_type("aws:secretsmanager/secretRotation:SecretRotation")}
    written = {r.inputs["secretId"] for r in graph.of_type("aws:secretsmanager/secretVersion:SecretVersion")}
    assert rotated and not rotated & written
