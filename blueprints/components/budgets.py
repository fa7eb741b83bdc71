"""Cost control, once per platform (Budgets and Cost Explorer are global): an AWS Budget for this environment with
the spec's alert thresholds, a cost-anomaly monitor with a subscription, and the default tags activated as
cost-allocation tags. `budget_verdict` compares the offline plan's estimate with the budget.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pulumi
import pulumi_aws as aws

from blueprints.components.observability import AlertTopic
from blueprints.spec import PlatformSpec

if TYPE_CHECKING:
    from blueprints.context import RegionContext

Status = Literal["no-budget", "within", "near", "over"]


@dataclass(frozen=True)
class BudgetVerdict:
    status: Status
    """`near`: the estimate crosses the lowest alert threshold; `over`: it exceeds the budget itself."""
    estimate_usd: float
    budget_usd: float | None
    percent_of_budget: float | None
    crossed_thresholds: tuple[int, ...]
    message: str
    environment: str

    @property
    def over_budget_warning(self) -> str:
        return (f"estimate ${self.estimate_usd:,.0f}/month exceeds the ${self.budget_usd:,.0f} {self.environment} "
                "budget (budget.monthly_usd): raise the budget or lower the traffic in serving.models[*].traffic")


def budget_verdict(monthly_estimate_usd: float, spec: PlatformSpec) -> BudgetVerdict:
    """The plan's monthly estimate against `budget.monthly_usd` and its alert thresholds."""
    budget = spec.budget.monthly_usd
    if budget is None:
        return BudgetVerdict("no-budget", monthly_estimate_usd, None, None, (),
                             f"estimate ${monthly_estimate_usd:,.0f}/month; no budget set (budget.monthly_usd)",
                             spec.environment)
    percent = 100 * monthly_estimate_usd / budget
    crossed = tuple(t for t in spec.budget.alert_thresholds_percent if percent >= t)
    status: Status = "over" if percent > 100 else "near" if crossed else "within"
    detail = f" (crosses the {', '.join(f'{t}%' for t in crossed)} alert threshold)" if crossed else ""
    return BudgetVerdict(
        status, monthly_estimate_usd, budget, percent, crossed,
        f"estimate ${monthly_estimate_usd:,.0f}/month is {percent:.0f}% of the ${budget:,.0f} "
        f"{spec.environment} budget{detail}", spec.environment,
    )


def _budget_filter(spec: PlatformSpec) -> dict[str, object]:
    """Only this platform's environment: resources carrying its preset and environment tags."""
    return {"ands": [
        {"tags": {"key": "blueprints:preset", "values": [spec.preset], "match_options": ["EQUALS"]}},
        {"tags": {"key": "blueprints:environment", "values": [spec.environment], "match_options": ["EQUALS"]}},
    ]}


class CostControls(pulumi.ComponentResource):
    """Budget, anomaly detection and cost-allocation tags; created once, in the primary region's provider."""

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, tags: dict[str, str],
                 opts: pulumi.ResourceOptions):
        super().__init__("blueprints:cost:CostControls", name, None, opts)
        namer, child = ctx.namer, pulumi.ResourceOptions(parent=self)
        name_prefix = f"{spec.name}-{spec.environment}"
        topic = AlertTopic(f"{name_prefix}-cost-alerts", ctx.account_id, spec.observability.alert_emails,
                           ctx.keys.enabled, child)
        self.alert_topic_arn = topic.arn
        # Tags only reach Cost Explorer once activated; activation is account-wide and idempotent.
        for key in sorted(tags):
            aws.costexplorer.CostAllocationTag(namer("cost-tag", key.replace(":", "-")), tag_key=key,
                                               status="Active", opts=child)
        if spec.budget.monthly_usd is not None:
            notifications = [
                {"comparison_operator": "GREATER_THAN", "threshold": threshold, "threshold_type": "PERCENTAGE",
                 "notification_type": "ACTUAL", "subscriber_sns_topic_arns": [topic.arn]}
                for threshold in spec.budget.alert_thresholds_percent
            ]
            notifications.append({"comparison_operator": "GREATER_THAN", "threshold": 100,
                                  "threshold_type": "PERCENTAGE", "notification_type": "FORECASTED",
                                  "subscriber_sns_topic_arns": [topic.arn]})
            aws.budgets.Budget(
                f"{name_prefix}-budget", name=f"{name_prefix}-monthly", budget_type="COST", time_unit="MONTHLY",
                limit_amount=f"{spec.budget.monthly_usd:.2f}", limit_unit="USD",
                filter_expression=_budget_filter(spec), notifications=notifications, opts=child,
            )
        if spec.budget.anomaly_detection:
            monitor = aws.costexplorer.AnomalyMonitor(
                f"{name_prefix}-anomalies", name=f"{name_prefix}-services", monitor_type="DIMENSIONAL",
                monitor_dimension="SERVICE", opts=child)
            aws.costexplorer.AnomalySubscription(
                f"{name_prefix}-anomalies", name=f"{name_prefix}-anomalies", frequency="IMMEDIATE",
                monitor_arn_lists=[monitor.arn],
                subscribers=[{"type": "SNS", "address": topic.arn}],
                threshold_expression={"dimension": {
                    "key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE", "match_options": ["GREATER_THAN_OR_EQUAL"],
                    "values": [json.dumps(spec.budget.anomaly_threshold_usd)]}},
                opts=child)
        self.register_outputs({"alert_topic_arn": topic.arn})
