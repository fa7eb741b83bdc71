"""Every policy's good fixtures pass and bad fixtures fail, through the same evaluator `check` uses."""

import pytest
from blueprints_policies import fixtures
from blueprints_policies.registry import registry

CASES = [(pid, name) for pid in registry() for name in fixtures.load(pid)]


@pytest.mark.parametrize("policy_id", list(registry()))
def test_every_policy_has_good_and_bad_fixtures(policy_id: str) -> None:
    names = fixtures.load(policy_id)
    assert any(n.startswith("good_") for n in names), f"{policy_id}: add a good_* fixture"
    assert any(n.startswith("bad_") for n in names), f"{policy_id}: add a bad_* fixture"
    assert all(n.startswith(("good_", "bad_")) for n in names)


@pytest.mark.parametrize(("policy_id", "name"), CASES)
def test_fixture(policy_id: str, name: str) -> None:
    fixture = fixtures.load(policy_id)[name]
    result = fixtures.run(policy_id, fixture)
    messages = [v.message for v in result.violations]
    if name.startswith("good_"):
        assert messages == []
        return
    assert messages, f"{policy_id}/{name} should fail"
    assert all(v.level == "mandatory" and v.policy == policy_id for v in result.violations)
    for expected in fixture.expect:
        assert any(expected in m for m in messages), f"{expected!r} not in {messages}"
    if "cannot evaluate" not in fixture.expect:
        assert not any(v.cannot_evaluate for v in result.violations), messages


REMEDIABLE = [(pid, name) for pid, name in CASES if registry()[pid].remediate and name.startswith("bad_")]


@pytest.mark.parametrize(("policy_id", "name"), REMEDIABLE)
def test_remediation_is_revalidated(policy_id: str, name: str) -> None:
    """At enforcement `remediate`, the remediation rewrites the bad inputs and the policy then passes."""
    result = fixtures.run(policy_id, fixtures.load(policy_id)[name], level="remediate")
    assert result.remediations, f"{policy_id}/{name}: no remediation applied"
    assert result.violations == []


def test_remediable_policies() -> None:
    assert {pid for pid, p in registry().items() if p.remediate} == {
        "cloudtrail-log-file-validation", "eks-control-plane-logging", "imdsv2-required", "ebs-encrypted",
        "kms-key-rotation", "rds-deletion-protection-prod", "alb-tls-policy"}
