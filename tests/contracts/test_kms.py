"""The KMS key-usage matrix: every customer-managed key lets exactly the principals that encrypt with it or read
what it protects, for every preset x environment; and the matrix catches the key policies the platform used to
write (node volumes nobody could encrypt, log keys open to any log group, a log-delivery principal nothing used)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from blueprints.contracts.kms import ASG_SERVICE_LINKED_ROLE, KEY_TYPE, key_matrix, kms_problems
from blueprints.engine.graph import ResourceGraph
from blueprints.engine.program import build_graph
from tests.conftest import PRESET_ENVS

ACCOUNT = "123456789012"
ADMIN = {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"}


def _with_key_policy(graph: ResourceGraph, key_name: str, statements: list[dict]) -> ResourceGraph:
    """A copy of `graph` whose key `key_name` carries exactly `statements` as its policy."""
    copy = graph.model_copy(deep=True)
    key = next(r for r in copy.resources if r.type == KEY_TYPE and r.name == key_name)
    key.inputs["policy"] = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return copy


@pytest.mark.parametrize(("preset", "env"), PRESET_ENVS)
def test_every_key_allows_exactly_its_users(graph_of: Callable[[str, str], ResourceGraph], preset: str,
                                            env: str) -> None:
    assert kms_problems(graph_of(preset, env)) == []


def test_the_matrix_names_the_node_launchers_and_the_log_service(graph_of) -> None:
    reports = {r.name: r for r in key_matrix(graph_of("regulated-industry", "prod"))}
    cluster = {n.principal for n in reports["reg-prod-euc1-kms-cluster"].needs}
    assert cluster == {f"arn:aws:iam::{ACCOUNT}:{ASG_SERVICE_LINKED_ROLE}",
                       f"arn:aws:iam::{ACCOUNT}:role/reg-prod-euc1-karpenter"}
    assert {n.principal for n in reports["reg-prod-euc1-kms-logs"].needs} == {
        "service:logs.eu-central-1.amazonaws.com"}
    # Every log group of the region is a need of the logs key, with its own encryption context.
    contexts = {n.context[1] for n in reports["reg-prod-euc1-kms-logs"].needs if n.context}
    assert len(contexts) >= 5 and all(c.startswith(f"arn:aws:logs:eu-central-1:{ACCOUNT}:log-group:")
                                      for c in contexts)
    # Workloads reading encrypted data are needs too (their roles' IAM policies reach the encrypted resources).
    artifacts = {n.principal.rsplit("/", 1)[-1] for n in reports["reg-prod-euc1-kms-artifacts"].needs}
    assert any(name.startswith("reg-prod-euc1-model-") for name in artifacts)
    # The secondary region has no trail: its audit key admits no CloudTrail principal.
    assert not any(n.principal == "service:cloudtrail.amazonaws.com" for n in reports["reg-prod-eun1-kms-audit"].needs)


def test_the_old_cluster_key_policy_leaves_nodes_without_volumes(graph_of) -> None:
    """Before: the cluster key's policy was the account statement alone; EC2 Auto Scaling's service-linked role
    (system node group) and Karpenter's CreateFleet (GPU nodes) could not encrypt their root volumes."""
    old = _with_key_policy(graph_of("regulated-industry", "prod"), "reg-prod-euc1-kms-cluster", [ADMIN])
    problems = [p for p in kms_problems(old) if p.startswith("reg-prod-euc1-kms-cluster:")]
    assert any("AWSServiceRoleForAutoScaling cannot" in p and "kms:GenerateDataKeyWithoutPlaintext" in p
               for p in problems)
    assert any("AWSServiceRoleForAutoScaling cannot ['kms:CreateGrant']" in p for p in problems)
    assert any("role/reg-prod-euc1-karpenter cannot" in p and "via ec2.eu-central-1.amazonaws.com" in p
               for p in problems)
    assert any("role/reg-prod-euc1-karpenter cannot ['kms:CreateGrant']" in p for p in problems)


def test_the_old_logs_key_policy_is_caught(graph_of) -> None:
    """Before: the logs key let logs.<region> use it for any log group (no encryption-context condition) and let
    delivery.logs.amazonaws.com use it although nothing delivers with it."""
    old = _with_key_policy(graph_of("regulated-industry", "prod"), "reg-prod-euc1-kms-logs", [ADMIN, {
        "Sid": "ServicesEncrypt", "Effect": "Allow",
        "Principal": {"Service": ["logs.eu-central-1.amazonaws.com", "delivery.logs.amazonaws.com"]},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*", "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}])
    problems = [p for p in kms_problems(old) if p.startswith("reg-prod-euc1-kms-logs:")]
    assert any("service:logs.eu-central-1.amazonaws.com cannot" in p for p in problems)
    assert any("['service:delivery.logs.amazonaws.com'] use nothing encrypted with this key" in p for p in problems)


def test_over_broad_key_policies_are_caught(graph_of) -> None:
    graph = graph_of("regulated-industry", "prod")
    # Karpenter's documented statement (Principal "*" held only by kms:ViaService and kms:CallerAccount) works, but
    # admits every principal of the account that uses EC2.
    anyone = {"Sid": "EbsForAll", "Effect": "Allow", "Principal": {"AWS": "*"},
              "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant",
                         "kms:DescribeKey"], "Resource": "*",
              "Condition": {"StringEquals": {"kms:ViaService": "ec2.eu-central-1.amazonaws.com",
                                             "kms:CallerAccount": ACCOUNT}}}
    problems = kms_problems(_with_key_policy(graph, "reg-prod-euc1-kms-cluster", [ADMIN, anyone]))
    assert any("EbsForAll: Principal * without aws:PrincipalArn" in p for p in problems)
    # A role named in a key policy although it uses nothing encrypted with the key.
    stranger = {"Sid": "Stranger", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/other"},
                "Action": "kms:Decrypt", "Resource": "*"}
    problems = kms_problems(_with_key_policy(graph, "reg-prod-euc1-kms-data", [ADMIN, stranger]))
    assert any("Stranger: ['arn:aws:iam::123456789012:role/other'] use nothing encrypted" in p for p in problems)


def test_an_identity_policy_on_a_key_its_role_does_not_need_is_caught(graph_of) -> None:
    """The account statement delegates to IAM, so a role's own kms statement is a use of the key too: one on a key
    whose data the role never touches is over-broad."""
    graph = graph_of("regulated-industry", "prod").model_copy(deep=True)
    key_arn = next(r.outputs["arn"] for r in graph.of_type(KEY_TYPE) if r.name == "reg-prod-euc1-kms-data")
    keda = next(r for r in graph.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "reg-prod-euc1-keda")
    document = json.loads(keda.inputs["policy"])
    document["Statement"].append({"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key_arn]})
    keda.inputs["policy"] = json.dumps(document)
    assert any(p.startswith("reg-prod-euc1-kms-data: over-broad: identity policy of ")
               and "reg-prod-euc1-keda" in p for p in kms_problems(graph))


def test_a_key_reference_the_contract_does_not_know_is_a_problem(graph_of) -> None:
    graph = graph_of("regulated-industry", "prod").model_copy(deep=True)
    key_arn = next(r.outputs["arn"] for r in graph.of_type(KEY_TYPE) if r.name == "reg-prod-euc1-kms-data")
    target = next(r for r in graph.resources if r.type == "aws:ec2/vpc:Vpc")
    target.inputs["someKmsKey"] = key_arn
    assert any("does not know" in p and target.name in p for p in kms_problems(graph))


def test_qdrant_volumes_can_use_the_data_key() -> None:
    """Qdrant's StorageClass encrypts its EBS volumes with the data key; the EBS CSI driver creates them, so the
    data key must let its role use the key and grant it to EC2 (without that statement the volumes never attach)."""
    graph = build_graph("regulated-industry", "prod", overrides={"retrieval": {"vector_store": "qdrant"}})
    reports = {r.name: r for r in key_matrix(graph)}
    driver = f"arn:aws:iam::{ACCOUNT}:role/reg-prod-euc1-addon-aws-ebs-csi-driver"
    assert {n.principal for n in reports["reg-prod-euc1-kms-data"].needs if n.via == "ec2.eu-central-1.amazonaws.com"
            } == {driver}
    assert kms_problems(graph) == []
    data_key = next(r for r in graph.of_type(KEY_TYPE) if r.name == "reg-prod-euc1-kms-data")
    without = [s for s in json.loads(data_key.inputs["policy"])["Statement"] if s.get("Sid") == "AccountAdministers"]
    problems = kms_problems(_with_key_policy(graph, "reg-prod-euc1-kms-data", without))
    assert any(f"{driver} cannot ['kms:CreateGrant']" in p for p in problems)
