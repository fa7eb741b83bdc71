"""secrets.customer_managed_keys: true (the default) creates the platform's KMS keys and every encrypting input names
one; false creates none and each service falls back to its AWS-managed key. Whether a stack may turn it off is a
policy's decision: baseline lets it, the regulated pack's kms-customer-managed-keys does not."""

from __future__ import annotations

import json

import pytest

from blueprints.commands.check import check_graph
from blueprints.contracts.kms import KEY_TYPE, kms_problems
from blueprints.engine.graph import ResourceGraph
from blueprints.engine.program import build_graph

OFF = {"secrets": {"customer_managed_keys": False}}


@pytest.fixture(scope="module")
def without_keys() -> ResourceGraph:
    return build_graph("regulated-industry", "prod", overrides=OFF)


def _kms_references(graph: ResourceGraph) -> list[str]:
    """Every resource input (JSON documents included) that names a KMS key or a customer alias."""
    found = []
    for record in graph.resources:
        text = json.dumps(record.inputs, default=str)
        if ":key/" in text or "alias/reg-" in text:
            found.append(record.name)
    return found


def test_without_customer_managed_keys_no_key_is_created_or_named(without_keys: ResourceGraph) -> None:
    assert without_keys.of_type(KEY_TYPE, "aws:kms/alias:Alias", "aws:kms/grant:Grant") == []
    assert _kms_references(without_keys) == []
    assert kms_problems(without_keys) == []


def test_services_fall_back_to_their_aws_managed_keys(without_keys: ResourceGraph) -> None:
    by_name = {(r.type, r.name): r for r in without_keys.resources}
    # S3: still SSE-KMS, with S3's AWS-managed key (no kmsMasterKeyId); replicas use the destination's aws/s3.
    models = by_name[("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                      "reg-prod-euc1-models")].inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert models == {"sseAlgorithm": "aws:kms"}
    replication = by_name[("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "reg-prod-euc1-models")]
    assert replication.inputs["rules"][0]["destination"]["encryptionConfiguration"] == {
        "replicaKmsKeyId": "arn:aws:kms:eu-north-1:123456789012:alias/aws/s3"}
    # EBS stays encrypted (aws/ebs); EKS keeps its default envelope encryption; secrets use aws/secretsmanager.
    template = by_name[("aws:ec2/launchTemplate:LaunchTemplate", "reg-prod-euc1-system-node")]
    assert template.inputs["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"
    assert "encryptionConfig" not in by_name[("aws:eks/cluster:Cluster", "reg-prod-euc1-eks")].inputs
    assert all("kmsKeyId" not in r.inputs for r in without_keys.of_type("aws:secretsmanager/secret:Secret"))
    # Alert topics: unencrypted, since aws/sns admits no service principal (CloudWatch, Budgets could not publish).
    assert all("kmsMasterKeyId" not in r.inputs for r in without_keys.of_type("aws:sns/topic:Topic"))


def test_the_default_keeps_customer_managed_keys(graph_of) -> None:
    graph = graph_of("regulated-industry", "prod")
    assert len(graph.of_type(KEY_TYPE)) == 15  # 6 data classes x 2 regions + 3 alert topics
    assert _kms_references(graph)


def _mandatory(graph: ResourceGraph, pack: str) -> set[str]:
    return {v.policy for result in check_graph(graph, [pack]) for v in result.violations if v.level == "mandatory"}


def test_a_policy_decides_who_may_turn_keys_off(graph_of, without_keys: ResourceGraph) -> None:
    assert _mandatory(without_keys, "baseline") == set()
    assert "kms-customer-managed-keys" in _mandatory(without_keys, "regulated")
    assert "kms-customer-managed-keys" not in _mandatory(graph_of("regulated-industry", "prod"), "regulated")
