"""The BatchTier component in the presets' graphs: encrypted stores, the DLQ and redrive, PITR, least-privilege
identities, and Kubernetes objects that pass kubernetes-validate and the upstream CRD schemas."""

from __future__ import annotations

import json
from typing import Any

import pytest

from blueprints.engine.graph import ResourceGraph
from tests.batch.support import validate
from tests.conftest import GraphOf

PRESETS = [("internal-ai", "prod"), ("saas", "dev")]


@pytest.fixture(scope="module")
def graphs(graph_of: GraphOf) -> dict[tuple[str, str], ResourceGraph]:
    return {key: graph_of(*key) for key in [*PRESETS, ("startup-mvp", "prod")]}


def batch_records(graph: ResourceGraph, resource_type: str) -> list[Any]:
    return [r for r in graph.resources if r.type == resource_type and "batch" in r.name]


def manifest(record: Any) -> dict[str, Any]:
    api_version, kind = record.type.removeprefix("kubernetes:").rsplit(":", 1)
    api_version = api_version.removeprefix("core/")
    return {"apiVersion": api_version, "kind": kind, **record.inputs}


@pytest.mark.parametrize("key", PRESETS)
def test_queue_has_a_dead_letter_queue_with_redrive_and_kms(graphs: dict, key: tuple[str, str]) -> None:
    graph = graphs[key]
    queues = {r.name.split("-batch-")[-1]: r.inputs for r in batch_records(graph, "aws:sqs/queue:Queue")}
    assert set(queues) == {"queue", "dlq"}
    redrive = json.loads(queues["queue"]["redrivePolicy"])
    assert redrive["maxReceiveCount"] == 3 and "batch-dlq" in redrive["deadLetterTargetArn"]
    assert all(q["kmsMasterKeyId"].startswith("arn:aws:kms:") for q in queues.values())
    assert queues["queue"]["visibilityTimeoutSeconds"] >= 300 * 5
    assert queues["queue"]["messageRetentionSeconds"] > 24 * 3600
    [allow] = batch_records(graph, "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy")
    assert json.loads(allow.inputs["redriveAllowPolicy"])["redrivePermission"] == "byQueue"
    policies = [json.loads(r.inputs["policy"]) for r in batch_records(graph, "aws:sqs/queuePolicy:QueuePolicy")]
    assert len(policies) == 2 and all(p["Statement"][0]["Effect"] == "Deny" for p in policies)


@pytest.mark.parametrize("key", PRESETS)
def test_tables_have_point_in_time_recovery_kms_and_ttl(graphs: dict, key: tuple[str, str]) -> None:
    tables = {r.inputs["name"].split("-batch-")[-1]: r.inputs
              for r in batch_records(graphs[key], "aws:dynamodb/table:Table")}
    assert set(tables) == {"jobs", "requests"}
    assert (tables["requests"]["hashKey"], tables["requests"]["rangeKey"]) == ("batch_id", "custom_id")
    for table in tables.values():
        assert table["pointInTimeRecovery"] == {"enabled": True}
        assert table["serverSideEncryption"]["enabled"] and table["serverSideEncryption"]["kmsKeyArn"]
        assert table["ttl"] == {"enabled": True, "attributeName": "expires_at"}
        assert table["deletionProtectionEnabled"] is (key[1] == "prod")


def test_bucket_is_versioned_kms_encrypted_private_logged_and_expiring(graphs: dict) -> None:
    graph = graphs[("internal-ai", "prod")]
    names = {r.name for r in batch_records(graph, "aws:s3/bucket:Bucket")}
    assert names == {"corp-prod-use1-batch", "corp-prod-use1-batch-logs"}
    sse = {r.name: r.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
           for r in batch_records(graph, "aws:s3/bucketServerSideEncryptionConfiguration:"
                                        "BucketServerSideEncryptionConfiguration")}
    assert sse["corp-prod-use1-batch"]["sseAlgorithm"] == "aws:kms"
    for resource_type in ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketPublicAccessBlock:"
                          "BucketPublicAccessBlock", "aws:s3/bucketPolicy:BucketPolicy"):
        assert {r.name for r in batch_records(graph, resource_type)} == names
    assert [r.name for r in batch_records(graph, "aws:s3/bucketLogging:BucketLogging")] == ["corp-prod-use1-batch"]
    lifecycle = {r.name: r.inputs["rules"][0]["expiration"]["days"]
                 for r in batch_records(graph, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")}
    assert lifecycle["corp-prod-use1-batch"] == 30


def test_identities_are_least_privilege_and_keda_can_only_read_the_depth(graphs: dict) -> None:
    graph = graphs[("internal-ai", "prod")]
    policies = {r.name: json.loads(r.inputs["policy"]) for r in graph.resources
                if r.type == "aws:iam/rolePolicy:RolePolicy" and ("batch" in r.name)}
    actions = {name: sorted(a for s in p["Statement"] for a in s["Action"]) for name, p in policies.items()}
    assert "sqs:ReceiveMessage" in actions["corp-prod-use1-batch-worker"]
    assert "sqs:ReceiveMessage" not in actions["corp-prod-use1-batch-api"]
    assert actions["corp-prod-use1-batch-scaler"] == ["sqs:GetQueueAttributes"]
    assert not any("*" in action for acts in actions.values() for action in acts)
    [scaler] = [r for r in graph.resources if r.type == "aws:iam/role:Role" and r.name.endswith("batch-scaler")]
    trust = json.loads(scaler.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Condition"]["ArnLike"]["aws:PrincipalArn"].endswith(":role/corp-prod-use1-keda-*")
    associations = {r.inputs["serviceAccount"] for r in graph.resources
                    if r.type == "aws:eks/podIdentityAssociation:PodIdentityAssociation"
                    and r.inputs["namespace"] == "batch"}
    assert associations == {"batch-api", "batch-worker"}


@pytest.mark.parametrize("key", PRESETS)
def test_kubernetes_objects_validate(graphs: dict, key: tuple[str, str]) -> None:
    records = [r for r in graphs[key].resources if r.type.startswith("kubernetes:")
               and (r.inputs.get("metadata", {}).get("namespace") == "batch"
                    or r.inputs.get("metadata", {}).get("name") in ("batch", NODE_POOL))]
    kinds = sorted({manifest(r)["kind"] for r in records})
    assert {"Deployment", "Service", "ScaledObject", "TriggerAuthentication", "NetworkPolicy",
            "PodDisruptionBudget", "ServiceAccount", "ExternalSecret"} <= set(kinds)
    for record in records:
        assert validate(manifest(record)) == [], record.name


NODE_POOL = "batch"


def test_workers_run_on_a_spot_pool_where_karpenter_runs_and_on_system_nodes_elsewhere(graphs: dict) -> None:
    def worker(graph: ResourceGraph) -> dict[str, Any]:
        [record] = [r for r in batch_records(graph, "kubernetes:apps/v1:Deployment")
                    if r.inputs["metadata"]["name"] == "batch-worker"]
        return record.inputs["spec"]["template"]["spec"]

    corp, saas = graphs[("internal-ai", "prod")], graphs[("saas", "dev")]
    [pool] = [r for r in corp.resources if r.type == "kubernetes:karpenter.sh/v1:NodePool" and r.name.endswith("batch")]
    capacity = next(q for q in pool.inputs["spec"]["template"]["spec"]["requirements"]
                    if q["key"] == "karpenter.sh/capacity-type")
    assert capacity["values"] == ["spot", "on-demand"]
    assert worker(corp)["nodeSelector"] == {"blueprints.io/batch-pool": "batch"}
    assert worker(saas)["nodeSelector"] == {"blueprints.io/node-role": "system"}
    assert not [r for r in saas.resources if r.type == "kubernetes:karpenter.sh/v1:NodePool"]
    # saas has no self-hosted model, so the batch tier brings KEDA itself.
    assert [r.name for r in saas.resources if r.type == "blueprints:serving:Keda"] == ["saas-dev-use1-batch-keda"]


def test_scaled_object_scales_the_worker_from_zero_on_queue_depth(graphs: dict) -> None:
    [scaled] = batch_records(graphs[("internal-ai", "prod")], "kubernetes:keda.sh/v1alpha1:ScaledObject")
    spec = scaled.inputs["spec"]
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (0, 10)
    [trigger] = spec["triggers"]
    assert trigger["type"] == "aws-sqs-queue" and trigger["authenticationRef"] == {"name": "batch-sqs"}
    assert "corp-prod-use1-batch-queue" in trigger["metadata"]["queueURL"]
    [auth] = batch_records(graphs[("internal-ai", "prod")], "kubernetes:keda.sh/v1alpha1:TriggerAuthentication")
    assert auth.inputs["spec"]["podIdentity"]["provider"] == "aws"
    assert auth.inputs["spec"]["podIdentity"]["roleArn"].startswith("arn:aws:iam::")


def test_disabled_presets_build_no_batch_tier(graphs: dict) -> None:
    assert not [r for r in graphs[("startup-mvp", "prod")].resources if r.type == "blueprints:batch:BatchTier"]


def test_batch_paths_join_the_gateways_alb(graph_of):
    """/v1/batches and /v1/files reach the jobs API through the gateway's ALB: same listener (TLS, WAF, logs)."""
    from blueprints.render import kubernetes_object

    graph = graph_of("internal-ai", "prod")
    [rule] = [r.inputs for r in graph.of_type("aws:lb/listenerRule:ListenerRule") if r.name.endswith("-batch")]
    [listener] = [r for r in graph.of_type("aws:lb/listener:Listener") if r.inputs["port"] == 443]
    assert rule["listenerArn"] == listener.outputs["arn"]
    assert rule["conditions"] == [{"pathPattern": {"values": ["/v1/batches", "/v1/batches/*", "/v1/files",
                                                              "/v1/files/*"]}}]
    [group] = [r for r in graph.of_type("aws:lb/targetGroup:TargetGroup") if r.name.endswith("-tg-batch")]
    assert rule["actions"] == [{"type": "forward", "targetGroupArn": group.outputs["arn"]}]
    assert (group.inputs["port"], group.inputs["healthCheck"]["path"]) == (8080, "/healthz")
    [binding] = [kubernetes_object(r) for r in graph.resources if r.type.endswith(":TargetGroupBinding")
                 and r.inputs["metadata"]["namespace"] == "batch"]
    assert binding["spec"] == {"targetGroupARN": group.outputs["arn"], "targetType": "ip",
                               "serviceRef": {"name": "batch-api", "port": 80}}


def _pod_secrets(graph: ResourceGraph, name: str) -> set[str]:
    """Kubernetes Secrets a batch Deployment's pods read (volumes and env), by name."""
    [record] = [r for r in batch_records(graph, "kubernetes:apps/v1:Deployment")
                if r.inputs["metadata"]["name"] == name]
    pod = record.inputs["spec"]["template"]["spec"]
    env = {item["valueFrom"]["secretKeyRef"]["name"] for container in pod["containers"]
           for item in container.get("env", []) if "secretKeyRef" in item.get("valueFrom", {})}
    return env | {volume["secret"]["secretName"] for volume in pod.get("volumes", []) if "secret" in volume}


@pytest.mark.parametrize("key", PRESETS)
def test_batch_clients_get_their_own_key_and_the_master_key_reaches_only_the_gateway(
        graphs: dict, key: tuple[str, str]) -> None:
    """Fails on the old graph: batch-credentials synced the gateway's master key as the API's client key (issue
    16), and the worker read the master key (issue 22: it reads its own virtual key, written by the reconciler)."""
    graph = graphs[key]
    secrets = {r.inputs["name"].rsplit("/", 1)[-1]: r.outputs
               for r in graph.of_type("aws:secretsmanager/secret:Secret")}
    arns = {name: outputs["arn"] for name, outputs in secrets.items()}
    synced = {(r.inputs["metadata"]["namespace"], r.inputs["spec"]["target"]["name"]):
              {item["remoteRef"]["key"] for item in r.inputs["spec"]["data"]}
              for r in graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")}
    holders = {target for target, keys in synced.items() if arns["litellm-master-key"] in keys}
    assert holders == {("gateway", "litellm-master-key")}
    assert synced[("batch", "batch-upstream-key")] == {arns["gateway-key-batch"]}
    api, worker = _pod_secrets(graph, "batch-api"), _pod_secrets(graph, "batch-worker")
    assert api == {"batch-api-keys"} and worker == {"batch-upstream-key"}
    assert synced[("batch", "batch-api-keys")] == {arns["batch-api-key"]}
    rotation = [r for r in graph.of_type("aws:secretsmanager/secretRotation:SecretRotation")
                if r.inputs["secretId"] in (secrets["batch-api-key"]["id"], secrets["litellm-master-key"]["id"])]
    assert len(rotation) == 2
