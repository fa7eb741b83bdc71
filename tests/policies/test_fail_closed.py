"""Fail closed on missing context (issue 18 section 2), through the packs' real gRPC servers: without a valid stack
config `environment`, prod-only checks must not pass; every pack reports a MANDATORY violation instead."""

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from .analyzer import Analyzer, Diagnostic, running_pack

MISSING = ("cannot evaluate: stack config llm-platform:environment missing; set it with pulumi config set "
           "environment <dev|staging|prod>")
CONFIGS = {
    "no config at all": None,
    "preset without environment": {"llm-platform:preset": "saas"},
    "garbage environment": {"llm-platform:preset": "saas", "llm-platform:environment": "prdo"},
    "unparseable environment": {"llm-platform:environment": '{"prod":'},
    "prod": {"llm-platform:preset": "saas", "llm-platform:environment": "prod"},
    "unknown preset": {"llm-platform:preset": "sass", "llm-platform:environment": "prod"},
}
BAD = [name for name in CONFIGS if name not in ("prod", "unknown preset")]

EKS = ("aws:eks/cluster:Cluster", "main", {"version": "1.33", "roleArn": "arn:aws:iam::1:role/eks"})
RDS = ("aws:rds/instance:Instance", "db", {"storageEncrypted": True, "engine": "postgres"})
DEPLOYMENT = ("kubernetes:apps/v1:Deployment", "web", {
    "metadata": {"namespace": "apps"},
    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "web", "image": "nginx:1.27.3"}]}}}})


@pytest.fixture(scope="module")
def packs() -> Iterator[dict[tuple[str, str], Analyzer]]:
    """One pack process per (pack, config), started on first use, all stopped at the end of the module."""
    with ExitStack() as stack:
        started: dict[tuple[str, str], Analyzer] = {}

        class Lazy(dict):
            def __missing__(self, key: tuple[str, str]) -> Analyzer:
                started[key] = stack.enter_context(running_pack(key[0], CONFIGS[key[1]]))
                return started[key]

        yield Lazy()


def _mandatory(diagnostics: list[Diagnostic]) -> list[tuple[str, str]]:
    return [(d.policy, d.message) for d in diagnostics if d.level == "mandatory"]


@pytest.mark.parametrize("config", BAD)
def test_every_pack_fails_a_stack_without_a_valid_environment(packs, config: str) -> None:
    for pack in ("baseline", "cost-guardrails", "kubernetes-workloads", "regulated") if config == BAD[1] else (
            "baseline",):
        mandatory = _mandatory(packs[(pack, config)].analyze_stack([DEPLOYMENT]))
        context = [m for p, m in mandatory if p == "stack-context-valid"]
        assert len(context) == 1 and context[0].startswith("cannot evaluate: stack config llm-platform:environment"), (
            pack, mandatory)
        if CONFIGS[config] is None or "llm-platform:environment" not in CONFIGS[config]:
            assert context == [MISSING]


@pytest.mark.parametrize("config", BAD)
def test_prod_only_resource_checks_do_not_pass_without_an_environment(packs, config: str) -> None:
    eks = _mandatory(packs[("baseline", config)].analyze(*EKS))
    assert [p for p, m in eks if m.startswith("cannot evaluate: stack config llm-platform:environment")] == [
        "eks-standard-support-prod"]


def test_prod_only_stack_checks_do_not_pass_without_an_environment(packs) -> None:
    mandatory = _mandatory(packs[("kubernetes-workloads", BAD[1])].analyze_stack([DEPLOYMENT]))
    assert ("k8s-pdb-for-replicated", MISSING) in mandatory
    rds = _mandatory(packs[("regulated", BAD[1])].analyze(*RDS))
    assert ("rds-deletion-protection-prod", MISSING) in rds


def test_a_valid_environment_evaluates(packs) -> None:
    """Control: with environment prod the same stacks are judged, not refused."""
    stack = packs[("kubernetes-workloads", "prod")].analyze_stack([DEPLOYMENT])
    assert not [d for d in stack if d.message.startswith("cannot evaluate")]
    policies = [d.policy for d in stack if d.level == "mandatory"]
    assert "k8s-pdb-for-replicated" in policies and "stack-context-valid" not in policies
    rds = _mandatory(packs[("regulated", "prod")].analyze(*RDS))
    assert ("rds-deletion-protection-prod", "deletionProtection must be true in prod") in rds


def test_a_preset_that_does_not_load_is_a_mandatory_violation(packs) -> None:
    """The residency allowlist comes from the preset: a preset that does not load must not leave it unchecked."""
    mandatory = _mandatory(packs[("baseline", "unknown preset")].analyze_stack([DEPLOYMENT]))
    refused = {p: m for p, m in mandatory if m.startswith("cannot evaluate")}
    assert {"stack-context-valid", "residency-allowlist"} <= set(refused), mandatory
    assert "sass" in refused["stack-context-valid"]
