"""Cost control: one budget per environment with the spec's thresholds, anomaly detection, cost-allocation tags,
and the plan's estimate compared with the budget."""

from __future__ import annotations

import json

import pytest

from blueprints.components.budgets import budget_verdict
from blueprints.engine.program import build_graph
from blueprints.platform import default_tags
from blueprints.presets import load_spec


def of_type(graph, type_: str):
    return [record for record in graph.resources if record.type == type_]


@pytest.mark.parametrize(("estimate", "status", "crossed"), [
    (1400.0, "within", ()),
    (1700.0, "near", (80,)),
    (2100.0, "over", (80, 100)),
])
def test_budget_verdict_against_the_thresholds(estimate, status, crossed):
    spec = load_spec("startup-mvp", "prod")  # $2,000, thresholds 80/100
    verdict = budget_verdict(estimate, spec)
    assert (verdict.status, verdict.crossed_thresholds, verdict.budget_usd) == (status, crossed, 2000.0)
    assert verdict.percent_of_budget == pytest.approx(100 * estimate / 2000)
    assert f"${estimate:,.0f}/month" in verdict.message and "prod budget" in verdict.message


def test_budget_verdict_without_a_budget():
    spec = load_spec("startup-mvp", "dev", overrides={"budget": {"monthly_usd": None}})
    verdict = budget_verdict(250.0, spec)
    assert verdict.status == "no-budget" and verdict.percent_of_budget is None
    assert "no budget set (budget.monthly_usd)" in verdict.message


def test_one_budget_per_environment_in_the_primary_region_only(graph_of):
    graph = graph_of("regulated-industry", "prod")  # two regions
    spec = load_spec("regulated-industry", "prod")
    (budget,) = of_type(graph, "aws:budgets/budget:Budget")
    assert budget.region == spec.regions[0]
    assert budget.inputs["limitAmount"] == "215000.00" and budget.inputs["timeUnit"] == "MONTHLY"
    actual = sorted(n["threshold"] for n in budget.inputs["notifications"] if n["notificationType"] == "ACTUAL")
    assert actual == spec.budget.alert_thresholds_percent
    assert any(n["notificationType"] == "FORECASTED" for n in budget.inputs["notifications"])
    tags = {and_["tags"]["key"]: and_["tags"]["values"] for and_ in budget.inputs["filterExpression"]["ands"]}
    assert tags == {"blueprints:preset": ["regulated-industry"], "blueprints:environment": ["prod"]}
    (dev_budget,) = of_type(graph_of("regulated-industry", "dev"), "aws:budgets/budget:Budget")
    assert dev_budget.inputs["limitAmount"] == "40000.00"


def test_anomaly_monitor_alerts_an_encrypted_topic_and_default_tags_are_activated(graph_of):
    graph = graph_of("saas", "prod")
    spec = load_spec("saas", "prod")
    (monitor,) = of_type(graph, "aws:costexplorer/anomalyMonitor:AnomalyMonitor")
    assert monitor.inputs["monitorDimension"] == "SERVICE"
    (subscription,) = of_type(graph, "aws:costexplorer/anomalySubscription:AnomalySubscription")
    threshold = subscription.inputs["thresholdExpression"]["dimension"]
    assert threshold["key"] == "ANOMALY_TOTAL_IMPACT_ABSOLUTE"
    assert threshold["values"] == [json.dumps(spec.budget.anomaly_threshold_usd)]
    (subscriber,) = subscription.inputs["subscribers"]
    topics = {r.inputs["name"]: r for r in of_type(graph, "aws:sns/topic:Topic")}
    topic = next(t for t in topics.values() if t.inputs["name"] == "saas-prod-cost-alerts")
    assert subscriber == {"type": "SNS", "address": f"arn:aws:sns:us-east-1:123456789012:{topic.inputs['name']}"}
    assert topic.inputs["kmsMasterKeyId"].startswith("arn:aws:kms:")
    keys = sorted(r.inputs["tagKey"] for r in of_type(graph, "aws:costexplorer/costAllocationTag:CostAllocationTag"))
    assert keys == sorted(default_tags(spec)) and all(
        r.inputs["status"] == "Active" for r in of_type(graph, "aws:costexplorer/costAllocationTag:CostAllocationTag"))


def test_no_budget_resource_without_a_budget():
    # startup-mvp turns anomaly detection off (its budget's forecast alert covers it); here it is on.
    graph = build_graph("startup-mvp", "dev", overrides={"budget": {"monthly_usd": None, "anomaly_detection": True}})
    assert not of_type(graph, "aws:budgets/budget:Budget")
    assert of_type(graph, "aws:costexplorer/anomalyMonitor:AnomalyMonitor")
