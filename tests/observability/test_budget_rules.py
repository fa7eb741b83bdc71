"""Team budget alerts (warning at 80%, critical at 100%), proven with `promtool test rules` on LiteLLM's own budget
gauges as LiteLLM 1.81.16 names and labels them (litellm/integrations/prometheus.py `_set_team_budget_metrics`:
remaining = max_budget - spend, +Inf and no max gauge for a team without a budget), one series per gateway pod."""

from __future__ import annotations

import pytest

from blueprints.catalog import metrics as m
from blueprints.observability.dashboards import dashboards
from blueprints.observability.rules import rule_files
from blueprints.presets import load_spec
from blueprints.spec import PlatformSpec
from tests.observability.promtool import input_series
from tests.observability.test_rules import _alert_case, _promtool_test


@pytest.fixture(scope="module")
def enterprise() -> PlatformSpec:
    return load_spec("enterprise-assistant", "prod")


def _team(team: str, pod: str, max_budget: float | None, remaining: float) -> list[dict[str, str]]:
    labels = {"team": team, "team_alias": team, "pod": pod}
    # The series notation has no `x` repetition for Inf: the value is written out once per step.
    value = " ".join(["+Inf"] * 21) if remaining == float("inf") else f"{remaining:g}x20"
    series = [input_series(m.LITELLM_TEAM_BUDGET_REMAINING, labels, value)]
    if max_budget is not None:
        series.append(input_series(m.LITELLM_TEAM_BUDGET_MAX, labels, f"{max_budget:g}x20"))
    return series


TEAMS = [
    # One pod still shows the team before its last requests; the pod that served them shows 85% spent.
    *_team("search", "litellm-a", 100, 100), *_team("search", "litellm-b", 100, 15),
    *_team("ops", "litellm-a", 50, -0.5),        # over: the request that crossed the budget was still answered
    *_team("support", "litellm-a", 100, 20.01),  # just under 80%
    *_team("research", "litellm-a", None, float("inf")),  # no budget
]


def test_team_budget_alerts_fire_at_80_and_100_percent(tmp_path, enterprise) -> None:
    def case(alert: str, expected: list[dict[str, str]]) -> dict:
        return _alert_case("1m", TEAMS, "5m", alert, expected)

    _promtool_test(tmp_path, enterprise, [
        case("TeamBudgetNearlySpent", [{"severity": "warning", "team": "search", "team_alias": "search"}]),
        case("TeamBudgetExhausted", [{"severity": "critical", "team": "ops", "team_alias": "ops"}]),
    ], "budgets.rules.yaml")


def test_budgets_are_watched_where_the_gateway_has_a_database() -> None:
    for preset in ("enterprise-assistant", "internal-ai", "regulated-industry", "saas"):
        spec = load_spec(preset, "prod")
        assert "budgets.rules.yaml" in rule_files(spec) and "spend.json" in dashboards(spec)
    mvp = load_spec("startup-mvp", "prod")
    assert "budgets.rules.yaml" not in rule_files(mvp) and "spend.json" not in dashboards(mvp)
