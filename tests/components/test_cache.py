"""The Valkey replication group: TLS, CMK at rest, intra subnets, cluster-only access, multi-AZ in prod, and an
AUTH token that never appears in the inputs (write-only arguments)."""

from __future__ import annotations

import pytest

from blueprints.engine.graph import ResourceGraph
from blueprints.engine.program import build_graph


def groups(graph: ResourceGraph) -> list:
    return graph.of_type("aws:elasticache/replicationGroup:ReplicationGroup")


@pytest.mark.parametrize(("env", "nodes", "multi_az"), [("dev", 1, False), ("prod", 2, True)])
def test_replication_group_per_environment(graph_of, env: str, nodes: int, multi_az: bool) -> None:
    graph = graph_of("saas", env)
    group = groups(graph)[0].inputs
    assert group["engine"] == "valkey"
    assert group["transitEncryptionEnabled"] is True and group["transitEncryptionMode"] == "required"
    assert group["atRestEncryptionEnabled"] is True and group["kmsKeyId"].startswith("arn:aws:kms:")
    assert (group["numCacheClusters"], group["multiAzEnabled"]) == (nodes, multi_az)
    assert group["automaticFailoverEnabled"] is multi_az


def test_auth_token_is_write_only_and_secret(graph_of) -> None:
    graph = graph_of("saas", "prod")
    group = groups(graph)[0].inputs
    assert "authToken" not in group and group["authTokenWo"] == "[secret]"
    versions = [r.inputs for r in graph.of_type("aws:secretsmanager/secretVersion:SecretVersion")
                if "valkey" in r.name]
    assert versions and all("secretString" not in v and v["secretStringWo"] == "[secret]" for v in versions)


def test_only_the_cluster_reaches_valkey_on_intra_subnets(graph_of) -> None:
    graph = graph_of("saas", "prod")
    rules = [r.inputs for r in graph.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if "valkey" in r.name]
    assert [(r["fromPort"], r["toPort"]) for r in rules] == [(6379, 6379)] * len(rules)
    assert all("referencedSecurityGroupId" in r and "cidrIpv4" not in r for r in rules)
    subnet_groups = graph.of_type("aws:elasticache/subnetGroup:SubnetGroup")
    assert subnet_groups and all(len(s.inputs["subnetIds"]) >= 2 for s in subnet_groups)


def test_shared_state_needs_valkey_even_without_the_cache(graph_of) -> None:
    # startup-mvp on EKS: hosted models only, no cache, but several gateway replicas (on Fargate they keep their own).
    assert groups(build_graph("startup-mvp", "prod", overrides={"runtime": "eks"}))
