"""What the plan says of the startup MVP's gateway and budget: the task count that is built, and a warning when the
estimate exceeds the budget (issue 19 s5)."""

from __future__ import annotations

from datetime import date

import pytest

from blueprints.engine.graph import ResourceGraph
from blueprints.plan import build_plan
from blueprints.presets import ENVIRONMENTS, load_spec

AS_OF = date(2026, 12, 4)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_fargate_gateway_line_is_the_task_count_the_ecs_service_runs(graph_of, env):
    """startup-mvp's ECS service runs a fixed `desiredCount` (no Application Auto Scaling target is created): the
    plan must not promise a replica range the platform cannot scale to."""
    graph: ResourceGraph = graph_of("startup-mvp", env)
    services = [r for r in graph.resources if r.type == "aws:ecs/service:Service"]
    assert len(services) == 1
    assert not [r for r in graph.resources if r.type.startswith("aws:appautoscaling/")]
    tasks = services[0].inputs["desiredCount"]
    line = build_plan(load_spec("startup-mvp", env), graph, AS_OF).summary["gateway"]
    expected = f"gateway: {tasks} Fargate tasks (fixed count, no autoscaling) x 1 vCPU for a peak of "
    assert line.startswith(expected), line


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_startup_mvp_estimate_stays_under_its_first_budget_alert(graph_of, env):
    """The preset's traffic and budget are coherent: the whole estimate (fixed + hosted tokens + usage) stays below
    the budget's first alert threshold, so an alert means a real surprise."""
    spec = load_spec("startup-mvp", env)
    plan = build_plan(spec, graph_of("startup-mvp", env), AS_OF)
    first_alert = min(spec.budget.alert_thresholds_percent) / 100 * spec.budget.monthly_usd
    assert plan.summary["monthly_usd"]["total_peak"] < first_alert, plan.summary["budget"]
    assert not [w for w in plan.warnings if "budget" in w]


def test_plan_warns_when_the_estimate_exceeds_the_budget(graph_of):
    spec = load_spec("startup-mvp", "prod")
    tight = spec.model_copy(update={"budget": spec.budget.model_copy(update={"monthly_usd": 100})})
    plan = build_plan(tight, graph_of("startup-mvp", "prod"), AS_OF)
    total = plan.summary["monthly_usd"]["total_peak"]
    assert (f"estimate ${total:,.0f}/month exceeds the $100 prod budget (budget.monthly_usd): raise the budget or "
            "lower the traffic in serving.models[*].traffic") in "\n".join(plan.warnings)
