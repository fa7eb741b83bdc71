"""The stack defines a cost budget with at least one alert that reaches a person."""

from collections.abc import Iterator, Sequence

from .. import tokens
from ..model import Finding, Res, StackContext
from ..props import items


def _alerts(budget: Res) -> bool:
    return any(
        items(n.get("subscriberEmailAddresses")) or items(n.get("subscriberSnsTopicArns"))
        for n in items(budget.props.get("notifications"))
    )


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    budgets = [r for r in resources if r.type in tokens.BUDGET and r.props.get("budgetType") == "COST"]
    if not budgets:
        yield Finding("no aws.budgets.Budget with budgetType 'COST'")
    for budget in budgets:
        if not budget.props.get("limitAmount") and not budget.props.get("plannedLimits"):
            yield Finding(f"budget {budget.name!r} has no limitAmount", budget.urn)
        if not _alerts(budget):
            yield Finding(f"budget {budget.name!r} has no notifications[] with subscriberEmailAddresses or "
                          "subscriberSnsTopicArns", budget.urn)
