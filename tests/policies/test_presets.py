"""The packs against the real program: every preset x environment is clean of mandatory violations in the packs
`check` (and the README's `pulumi up --policy-pack ...`) uses for it, regulated-industry is clean of mandatory
regulated violations, and startup-mvp measured against regulated produces the specific violations a startup MVP
is expected to have (the pack bites)."""

import pytest
from blueprints_policies import suppressions

from blueprints.commands.check import check_graph, default_packs
from blueprints.presets import load_spec
from tests.conftest import PRESET_ENVS


def _mandatory(graph, pack: str) -> list[str]:
    return sorted(f"{v.policy}: {v.urn}: {v.message}" for r in check_graph(graph, [pack])
                  for v in r.violations if v.level == "mandatory")


@pytest.mark.parametrize(("preset", "env"), PRESET_ENVS)
def test_default_packs_have_no_mandatory_violations(graph_of, preset: str, env: str) -> None:
    graph = graph_of(preset, env)
    for pack in default_packs(load_spec(preset, env).compliance.level):
        assert _mandatory(graph, pack) == [], pack


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_regulated_industry_passes_the_regulated_pack(graph_of, env: str) -> None:
    assert _mandatory(graph_of("regulated-industry", env), "regulated") == []


def test_startup_mvp_fails_the_regulated_pack_where_expected(graph_of) -> None:
    violated = {line.split(":", 1)[0] for line in _mandatory(graph_of("startup-mvp", "prod"), "regulated")}
    # What the Fargate MVP leaves out by design; gateway-request-logging is read from its ECS task definition.
    assert {"residency-declared", "vpc-flow-logs", "alb-access-logs", "gateway-request-logging"} <= violated


def test_no_policy_fails_to_evaluate_on_any_preset_and_no_suppression_is_stale(graph_of) -> None:
    """Also: every URN in policies/suppressions.yaml still suppresses a finding (an exemption of nothing is stale)."""
    used = set()
    for preset, env in PRESET_ENVS:
        for result in check_graph(graph_of(preset, env), ["baseline", "cost-guardrails", "kubernetes-workloads",
                                                          "regulated"]):
            assert not [v.message for v in result.violations if v.cannot_evaluate], (preset, env, result.pack)
            used |= {(s.policy, s.urn) for s in result.suppressed}
    listed = {(s.policy_id, urn) for s in suppressions.load().items for urn in s.urns}
    assert sorted(listed - used) == []
