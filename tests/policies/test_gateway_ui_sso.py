"""Regulated presets put the admin UI behind the identity provider (issue 22 s2): gateway-ui-sso over the graphs the
real program registers. The regulated graph passes; the same graph without its sign-in rules (what the program built
before gateway.sso existed) and the Fargate MVP, which has none, fail with the listener named."""

from fnmatch import fnmatchcase

from blueprints_policies.checks.gateway_ui_sso import UI_REQUESTS
from blueprints_policies.packs import PACKS

from blueprints.commands.check import check_graph
from blueprints.gateway.sso import HUMAN_PATHS

POLICY = "gateway-ui-sso"


def _findings(graph) -> list[str]:
    return [v.message for r in check_graph(graph, ["regulated"]) for v in r.violations
            if v.policy == POLICY]


def _without_sign_in(graph):
    kept = [r for r in graph.resources
            if not (r.type == "aws:lb/listenerRule:ListenerRule" and r.name.split("-rule-")[-1].startswith("sso"))]
    assert len(kept) < len(graph.resources)
    return graph.model_copy(update={"resources": kept})


def test_the_regulated_preset_signs_people_in_before_the_ui(graph_of) -> None:
    assert _findings(graph_of("regulated-industry", "prod")) == []


def test_without_the_sign_in_rules_the_ui_is_open_and_the_policy_says_where(graph_of) -> None:
    found = _findings(_without_sign_in(graph_of("regulated-industry", "prod")))
    assert found and all("to its default action without sign-in" in message for message in found)
    assert any("sends /ui (the admin UI)" in message and "alb-https" in message for message in found)


def test_the_fargate_mvp_has_no_sign_in_and_fails(graph_of) -> None:
    assert any("sends /sso/callback (the admin UI)" in m for m in _findings(graph_of("startup-mvp", "prod")))


def test_the_policy_covers_what_the_generator_protects() -> None:
    """Every request the policy probes is one the generator's patterns authenticate."""
    assert all(any(fnmatchcase(path, pattern) for pattern in HUMAN_PATHS) for path in UI_REQUESTS)


def test_the_regulated_pack_enforces_it() -> None:
    assert PACKS["regulated"].level(POLICY) == "mandatory"
