"""`access.teams` in the spec: typed and cross-checked, each problem one line naming the config path, the value
and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from blueprints.errors import SpecError
from blueprints.presets import load_spec


def problems(teams: list[dict[str, Any]], preset: str = "enterprise-assistant") -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec(preset, "prod", overrides={"access": {"teams": teams}})
    return caught.value.problems


def test_a_team_may_only_allow_models_the_gateway_serves() -> None:
    assert problems([{"name": "support", "models": ["assistant", "gpt-5"], "max_budget_usd": 10}]) == [
        "overrides.access.teams[0].models: 'gpt-5' is not a model the gateway serves "
        "(allowed: assistant, assistant-fallback, auto)"]


def test_the_tiered_routing_alias_is_a_model_only_while_tiered_routing_is_on() -> None:
    teams = [{"name": "audit", "models": ["auto"], "max_budget_usd": 10}]
    assert problems(teams, "regulated-industry") == [
        "overrides.access.teams[0].models: 'auto' is not a model the gateway serves (allowed: reg-large, reg-small)"]
    spec = load_spec("internal-ai", "prod", overrides={"access": {"teams": teams}})
    assert spec.access.teams[0].models == ["auto"]


def test_team_names_are_unique() -> None:
    team = {"name": "support", "models": ["assistant"], "max_budget_usd": 10}
    assert problems([team, team]) == [
        "overrides.access.teams[1].name: 'support' is used by more than one team (allowed: unique names)"]


def test_the_platform_workloads_team_is_reserved() -> None:
    """The reconciler keeps team `platform` for the platform's own workload keys (blueprints/access/manifests.py)."""
    assert problems([{"name": "platform", "models": ["assistant"], "max_budget_usd": 10}]) == [
        "overrides.access.teams[0].name: 'platform' is reserved for the platform's own workloads' keys "
        "(allowed: any other name)"]


def test_budget_period_and_limits_are_what_litellm_accepts() -> None:
    found = problems([{"name": "support", "models": ["assistant"], "max_budget_usd": 0, "budget_duration": "2mo",
                       "rpm_limit": 0}])
    assert found == [
        "overrides.access.teams[0].max_budget_usd: Input should be greater than 0 (got 0)",
        "overrides.access.teams[0].budget_duration: '2mo' is no budget period LiteLLM resets reliably (allowed: "
        "<n>s, <n>m, <n>h, <n>d, <n>w with n >= 1, or 1mo; e.g. 30d)",
        "overrides.access.teams[0].rpm_limit: Input should be greater than or equal to 1 (got 0)",
    ]


def test_teams_need_the_cluster_of_the_reconciler_job() -> None:
    assert problems([{"name": "app", "models": ["chat"], "max_budget_usd": 10}], "startup-mvp") == [
        "overrides.access.teams: 1 teams with runtime 'fargate', which has no cluster for the reconciler Job "
        "(allowed: []; or runtime: eks)"]
