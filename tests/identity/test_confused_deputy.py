"""Confused deputy and transport, over every preset x environment: every Allow to an AWS service principal names
the source account (and the source resource where the service supports aws:SourceArn), Pod Identity trusts are
held to one service account, and every SNS topic and SQS queue has a policy that refuses plain-HTTP requests.
The exceptions and the AWS documentation behind each rule live in blueprints/contracts/iam.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from blueprints.contracts.iam import (
    PolicyDocument,
    confused_deputy_problems,
    iam_contract_problems,
    insecure_transport_problems,
    policy_documents,
    service_principals,
    topics_and_queues_without_policy,
)
from blueprints.engine.graph import ResourceGraph
from tests.conftest import PRESET_ENVS

QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"


@pytest.fixture(scope="module")
def graphs(graph_of: Callable[[str, str], ResourceGraph]) -> list[tuple[str, ResourceGraph]]:
    return [(f"{preset}/{env}", graph_of(preset, env)) for preset, env in PRESET_ENVS]


@pytest.fixture(scope="module")
def documents(graphs: list[tuple[str, ResourceGraph]]) -> list[PolicyDocument]:
    return [document for _, graph in graphs for document in policy_documents(graph)]


def test_service_principals_are_present(documents: list[PolicyDocument]) -> None:
    services = {service for document in documents for statement in document.statements()
                for service in service_principals(statement)}
    assert {"eks.amazonaws.com", "pods.eks.amazonaws.com", "events.amazonaws.com", "logging.s3.amazonaws.com",
            "vpc-flow-logs.amazonaws.com", "cloudtrail.amazonaws.com"} <= services


def test_every_service_principal_names_its_source(documents: list[PolicyDocument]) -> None:
    assert [problem for document in documents for problem in confused_deputy_problems(document)] == []


def test_every_topic_and_queue_policy_refuses_plain_http(documents: list[PolicyDocument]) -> None:
    assert [problem for document in documents for problem in insecure_transport_problems(document)] == []


def test_every_topic_and_queue_has_a_policy(graphs: list[tuple[str, ResourceGraph]]) -> None:
    """A topic or queue without a policy has no Deny of plain HTTP at all."""
    assert [f"{where} {problem}" for where, graph in graphs for problem in topics_and_queues_without_policy(graph)
            ] == []


def test_the_graph_level_check_is_the_sum_of_the_walks(graphs: list[tuple[str, ResourceGraph]]) -> None:
    """What `check --contracts` runs on a graph: clean for every preset and environment."""
    assert [f"{where} {problem}" for where, graph in graphs for problem in iam_contract_problems(graph)] == []


def _document(type_: str, *statements: dict[str, Any]) -> PolicyDocument:
    return PolicyDocument("x", type_, "policy", "trust" if type_ == "aws:iam/role:Role" else "resource", None,
                          {"Version": "2012-10-17", "Statement": list(statements)})


SEND = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": "arn:aws:sqs:us-east-1:123456789012:q"}
DENY = {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "arn:aws:sqs:us-east-1:123456789012:q",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


@pytest.mark.parametrize(("document", "expected"), [
    (_document(QUEUE_POLICY, SEND, DENY), ["without aws:SourceAccount", "without aws:SourceArn"]),
    (_document(QUEUE_POLICY, {**SEND, "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}, DENY),
     ["without aws:SourceArn"]),
    (_document("aws:iam/role:Role", {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                                     "Action": ["sts:AssumeRole", "sts:TagSession"]}),
     ["Pod Identity trust not scoped"]),
    (_document("aws:iam/role:Role", {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                     "Action": "sts:AssumeRole"}), []),
])
def test_the_confused_deputy_walk(document: PolicyDocument, expected: list[str]) -> None:
    problems = confused_deputy_problems(document)
    assert len(problems) == len(expected)
    assert all(fragment in problem for fragment, problem in zip(expected, problems, strict=True))


def test_the_transport_walk() -> None:
    condition = {"StringEquals": {"aws:SourceAccount": "1"}, "ArnEquals": {"aws:SourceArn": "r"}}
    allowed = {**SEND, "Condition": condition}
    assert "no Deny" in insecure_transport_problems(_document(QUEUE_POLICY, allowed))[0]
    narrow = {**DENY, "Action": "sqs:ReceiveMessage"}
    assert "['sqs:sendmessage']" in insecure_transport_problems(_document(QUEUE_POLICY, allowed, narrow))[0]
    assert insecure_transport_problems(_document(QUEUE_POLICY, allowed, DENY)) == []
