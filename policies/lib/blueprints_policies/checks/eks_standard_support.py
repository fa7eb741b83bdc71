"""The EKS cluster's Kubernetes version stays in standard support for at least 60 more days (non-prod: advisory;
eks-standard-support-prod enforces the same in prod).

Dates come from the Amazon EKS Kubernetes release calendar pinned in blueprints.versions.EKS_VERSIONS. "Today" is
the UTC date, or the policy config's `asOf` (YYYY-MM-DD) to evaluate a stack as of another day.
"""

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..model import StackContext

NOTICE = timedelta(days=60)
"""EKS announces the end of standard support at least 60 days ahead (EKS user guide, version FAQs): the window
in which an upgrade must be planned."""


def as_of(ctx: StackContext) -> date:
    given = ctx.extra.get("asOf")
    return date.fromisoformat(str(given)) if given else datetime.now(UTC).date()


def support_problems(props: Mapping[str, Any], today: date) -> Iterator[str]:
    from blueprints.versions import EKS_VERSIONS

    version = str(props.get("version") or "")
    if version not in EKS_VERSIONS:
        yield (f"Kubernetes version {version or '(EKS default)'!r} is not in the EKS release calendar "
               f"(known: {', '.join(EKS_VERSIONS)}); set version to a supported one")
        return
    ends = EKS_VERSIONS[version].standard_support_ends
    if ends <= today:
        yield (f"Kubernetes {version} left EKS standard support on {ends} (extended support, $0.60 instead of "
               f"$0.10 per cluster-hour); upgrade the cluster")
    elif ends - today < NOTICE:
        yield (f"Kubernetes {version} leaves EKS standard support on {ends}, {(ends - today).days} days from "
               f"{today} (under {NOTICE.days}); upgrade the cluster before then")


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if ctx.is_prod:
        return
    yield from support_problems(props, as_of(ctx))
