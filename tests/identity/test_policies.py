"""Every IAM policy document the platform emits, in every preset and environment: accepted by moto's IAM
(which rejects malformed documents) and free of wildcards except where AWS requires them.

The allowlist below is the one place that admits a wildcard; each entry says why AWS needs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from blueprints.contracts.iam import as_list, policy_documents
from tests.conftest import PRESET_ENVS, GraphOf

WILDCARD_RESOURCE_ACTIONS: dict[str, str] = {
    "ec2:Describe": "EC2 Describe* APIs support no resource-level permissions (Karpenter discovery)",
    "elasticloadbalancing:Describe": "ELBv2 Describe* APIs support no resource-level permissions",
    "acm:ListCertificates": "a list call with no resource type",
    "shield:GetSubscriptionState": "account-level call with no resource type",
    "xray:": "X-Ray trace write/read APIs have no resource-level permissions (OTel collector, Grafana)",
    "pricing:GetProducts": "the Price List API has no resources (Karpenter's price-aware launches)",
    "aps:ListWorkspaces": "a list call with no resource type (Grafana's Prometheus data source discovery)",
    "iam:ListInstanceProfiles": "a list call with no resource type (Karpenter finds the profiles it made)",
    "arc-zonal-shift:GetManagedResource": "Karpenter v1.14.1's reference policy grants it on '*' held to the "
                                          "cluster by the arc-zonal-shift:ResourceIdentifier condition",
    "secretsmanager:GetRandomPassword": "generates a value, acts on no resource (the rotation function)",
}
"""Action prefixes that AWS only authorizes with `"Resource": "*"`."""

KEY_POLICY_ADMIN = ("kms:*", "AccountAdministers")
"""The default KMS key policy statement: the account root keeps full control of the key (otherwise the key can
become unmanageable) and delegates use to IAM. In a key policy `"Resource": "*"` means "this key"."""


@pytest.fixture(scope="module")
def documents(graph_of: GraphOf) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(where, type, kind, document) for every distinct document of every preset x environment, plus the
    optional vector stores that no preset selects."""
    graphs = [(f"{preset}/{env}", graph_of(preset, env)) for preset, env in PRESET_ENVS]
    graphs += [(f"enterprise-assistant/prod+{store}",
                graph_of("enterprise-assistant", "prod", overrides={"retrieval": {"vector_store": store}}))
               for store in ("opensearch", "qdrant")]
    seen: dict[str, tuple[str, str, str, dict[str, Any]]] = {}
    for where, graph in graphs:
        for found in policy_documents(graph):
            seen.setdefault(json.dumps(found.document, sort_keys=True),
                            (f"{where} {found.where}", found.type, found.kind, found.document))
    return list(seen.values())


def _statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from as_list(document["Statement"])


def test_every_document_type_is_present(documents: list) -> None:
    kinds = {type_ for _, type_, _, _ in documents}
    assert {"aws:iam/rolePolicy:RolePolicy", "aws:iam/role:Role", "aws:s3/bucketPolicy:BucketPolicy",
            "aws:sqs/queuePolicy:QueuePolicy", "aws:kms/key:Key"} <= kinds


def test_moto_rejects_a_malformed_document() -> None:
    """The check below is only worth something if moto really validates."""
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allowed", "Action": "s3:GetObject",
                                                       "Resource": "*"}]}
        with pytest.raises(ClientError, match="MalformedPolicyDocument"):
            iam.create_policy(PolicyName="bad", PolicyDocument=json.dumps(bad))


def test_moto_iam_accepts_every_document(documents: list) -> None:
    """Identity policies via create_policy, trust policies via create_role. Resource-based policies go through
    create_policy without their Principal (which an identity policy may not carry); the rest of their grammar
    (Version, Effect, Action, Resource, Condition operators) is validated the same way."""
    problems = []
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        for index, (where, _, kind, document) in enumerate(documents):
            try:
                if kind == "trust":
                    iam.create_role(RoleName=f"r{index}", AssumeRolePolicyDocument=json.dumps(document))
                else:
                    body = {**document, "Statement": [
                        {k: v for k, v in statement.items() if k not in ("Principal", "NotPrincipal")}
                        for statement in _statements(document)]}
                    iam.create_policy(PolicyName=f"p{index}", PolicyDocument=json.dumps(body))
            except ClientError as error:
                problems.append(f"{where}: {error.response['Error']['Message']}")
    assert problems == []


def _wildcard_problems(where: str, type_: str, statement: dict[str, Any]) -> list[str]:
    if statement["Effect"] == "Deny":
        return []  # a wildcard in a Deny narrows access (e.g. refuse every non-TLS request)
    problems = []
    if "NotAction" in statement or "NotResource" in statement:
        problems.append(f"{where}: Allow with NotAction/NotResource")
    actions = [str(action) for action in as_list(statement.get("Action", []))]
    key_admin = type_ == "aws:kms/key:Key" and (actions, statement.get("Sid")) == ([KEY_POLICY_ADMIN[0]],
                                                                                   KEY_POLICY_ADMIN[1])
    for action in actions:
        if (action == "*" or action.endswith(":*")) and not key_admin:
            problems.append(f"{where}: wildcard action {action!r}")
    if "*" in as_list(statement.get("Resource", [])) and type_ != "aws:kms/key:Key":
        unjustified = [a for a in actions if not a.startswith(tuple(WILDCARD_RESOURCE_ACTIONS))]
        if unjustified:
            problems.append(f"{where}: Resource '*' for {unjustified} (allowed only for: "
                            f"{', '.join(WILDCARD_RESOURCE_ACTIONS)})")
    principal = statement.get("Principal")
    if principal == "*" or (isinstance(principal, dict) and "*" in as_list(principal.get("AWS", []))):
        # Principal "*" held to named roles by aws:PrincipalArn (KMS key policies that must name roles created
        # after the key: components/keys.py) is not every principal; a wildcard in the ARN would be.
        named = [str(arn) for block in statement.get("Condition", {}).values()
                 for key, arns in block.items() if key.lower() == "aws:principalarn" for arn in as_list(arns)]
        if not named or any("*" in arn or "?" in arn for arn in named):
            problems.append(f"{where}: Allow to every principal")
    return problems


def test_no_wildcards_outside_the_allowlist(documents: list) -> None:
    problems = [problem for where, type_, _, document in documents for statement in _statements(document)
                for problem in _wildcard_problems(where, type_, statement)]
    assert problems == []


@pytest.mark.parametrize(("statement", "expected"), [
    ({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}, "wildcard action 's3:*'"),
    ({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}, "Resource '*' for ['s3:GetObject']"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Principal": "*"},
     "Allow to every principal"),
    ({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:eu-west-1:1:key/k",
      "Principal": {"AWS": "*"}, "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::1:role/*"}}},
     "Allow to every principal"),
])
def test_the_walk_catches_each_kind_of_wildcard(statement: dict, expected: str) -> None:
    assert [expected in problem for problem in _wildcard_problems("x", "aws:iam/rolePolicy:RolePolicy", statement)
            ] == [True]
    allowed = {"Effect": "Allow", "Action": ["ec2:DescribeSubnets", "pricing:GetProducts"], "Resource": ["*"]}
    assert _wildcard_problems("x", "aws:iam/rolePolicy:RolePolicy", allowed) == []
    one_role = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Principal": {"AWS": "*"},
                "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::1:role/karpenter"}}}
    assert _wildcard_problems("x", "aws:kms/key:Key", one_role) == []
