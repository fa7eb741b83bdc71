"""The EKS cluster's Kubernetes version stays in standard support for at least 60 more days (non-prod: advisory;
eks-standard-support-prod enforces the same in prod).

Dates come from the Amazon EKS Kubernetes release calendar pinned in blueprints.versions.EKS_VERSIONS, judged by the
contract check blueprints.contracts.versions.support_problem (the same rule `check --contracts` applies). "Today" is
the UTC date, or the policy config's `asOf` (YYYY-MM-DD) to evaluate a stack as of another day.
"""

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

from ..model import StackContext


def as_of(ctx: StackContext) -> date:
    given = ctx.extra.get("asOf")
    return date.fromisoformat(str(given)) if given else datetime.now(UTC).date()


def support_problems(props: Mapping[str, Any], today: date) -> Iterator[str]:
    from blueprints.contracts.versions import NOTICE, support_problem

    problem = support_problem(str(props.get("version") or ""), today, NOTICE)
    if problem:
        yield f"{problem}; upgrade the cluster to a version of the calendar with standard support left"


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if ctx.is_prod:
        return
    yield from support_problems(props, as_of(ctx))
