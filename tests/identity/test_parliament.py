"""Every IAM policy document of every preset's prod graph passes parliament (PyPI parliament, pinned in
pyproject.toml), the IAM policy linter: no finding of severity MEDIUM or above, but the false positives that
blueprints/contracts/iam.py lists with their reason. Parliament's community privilege-escalation auditor runs too:
the only escalation path it may report is one that contract accepts, with iam:PassRole held to named roles and one
service."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from blueprints.contracts.iam import (
    PRIVILEGE_ESCALATION_ACCEPTED,
    PolicyDocument,
    parliament_findings,
    parliament_text,
    passrole_problems,
    policy_documents,
)
from blueprints.contracts.parliament_lint import escalations as _escalations
from blueprints.contracts.parliament_lint import lint as _lint
from blueprints.contracts.parliament_lint import matches as _matches
from blueprints.engine.graph import ResourceGraph
from tests.conftest import PRESETS


@pytest.fixture(scope="module")
def documents(graph_of: Callable[[str, str], ResourceGraph]) -> list[PolicyDocument]:
    """Every distinct document of every preset's prod graph."""
    seen: dict[str, PolicyDocument] = {}
    for preset in PRESETS:
        for document in policy_documents(graph_of(preset, "prod")):
            seen.setdefault(parliament_text(document), document)
    return list(seen.values())


def test_every_kind_of_document_is_linted(documents: list[PolicyDocument]) -> None:
    assert {document.kind for document in documents} == {"identity", "trust", "resource"}


def test_parliament_reports_nothing_blocking(documents: list[PolicyDocument]) -> None:
    problems = [problem for document in documents
                for problem in parliament_findings(document, _lint(document), _matches)]
    assert problems == []


def test_parliament_blocks_a_broken_document() -> None:
    """The gate is only worth something if parliament's MEDIUM findings reach it: s3:GetObject names an object,
    never a bucket (RESOURCE_MISMATCH)."""
    broken = PolicyDocument("x", "aws:iam/rolePolicy:RolePolicy", "policy", "identity", None, {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"}]})
    problems = parliament_findings(broken, _lint(broken), _matches)
    assert [problem for problem in problems if "RESOURCE_MISMATCH" in problem]


def test_trust_policies_are_linted_against_their_role() -> None:
    """A trust policy is linted with its role as the Resource: an action that cannot apply to a role is caught."""
    trust = PolicyDocument("r", "aws:iam/role:Role", "assumeRolePolicy", "trust", "arn:aws:iam::123456789012:role/r",
                           {"Version": "2012-10-17", "Statement": [
                               {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                "Action": "s3:GetObject"}]})
    assert json.loads(parliament_text(trust))["Statement"][0]["Resource"] == "arn:aws:iam::123456789012:role/r"
    assert parliament_findings(trust, _lint(trust), _matches)


def test_privilege_escalation_only_through_held_passrole(documents: list[PolicyDocument]) -> None:
    problems, reported = [], set()
    for document in documents:
        if document.kind != "identity":
            continue
        for path in _escalations(document):
            reported.add(path)
            if path not in PRIVILEGE_ESCALATION_ACCEPTED:
                problems.append(f"{document.where}: escalation path {path}")
            problems += passrole_problems(document)
    assert problems == []
    assert reported, "the auditor saw no PassRole path at all: is Karpenter's policy still in the graph?"


def test_an_unheld_passrole_is_an_escalation() -> None:
    """Karpenter's old policy: launch on every resource RunInstances touches, and PassRole on the node role to any
    service."""
    ec2 = "arn:aws:ec2:us-east-1:123456789012:"
    launch = [ec2 + kind for kind in ("instance/*", "volume/*", "network-interface/*", "security-group/*",
                                      "subnet/*")] + ["arn:aws:ec2:us-east-1::image/*"]
    old = PolicyDocument("k", "aws:iam/rolePolicy:RolePolicy", "policy", "identity", None, {
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["ec2:RunInstances"], "Resource": launch},
            {"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": ["arn:aws:iam::123456789012:role/node"]}]})
    assert _escalations(old) == ["CreateEC2WithExistingIP"]
    assert passrole_problems(old) == ["k (aws:iam/rolePolicy:RolePolicy) policy: iam:PassRole without "
                                      "iam:PassedToService"]


def test_a_document_is_linted_once_per_process_with_parliaments_own_findings(monkeypatch) -> None:
    """`lint` keeps parliament's findings per policy text: the same as a fresh parliament run, parliament not run
    again for the same text."""
    import parliament

    document = PolicyDocument("x", "aws:iam/rolePolicy:RolePolicy", "policy", "identity", None, {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "iam:PassRole"], "Resource": "*"}]})
    fresh = parliament.analyze_policy_string(parliament_text(document))
    expected = [(f.issue, f.severity, f.location) for f in map(parliament.enhance_finding, fresh.findings)]
    assert [(f.issue, f.severity, f.location) for f in _lint(document)] == expected and expected
    runs = []
    monkeypatch.setattr(parliament, "analyze_policy_string", lambda *args, **kwargs: runs.append(args))
    assert [(f.issue, f.severity, f.location) for f in _lint(document)] == expected
    assert runs == []
