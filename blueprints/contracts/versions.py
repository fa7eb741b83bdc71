"""EKS version contract: the planned cluster runs a Kubernetes version of the EKS release calendar that is in
standard support as of the plan's day, and in prod with at least 60 days of it left (EKS announces the end of
standard support 60 days ahead; past it the control plane is billed at the extended-support price, and past
extended support EKS upgrades it itself: Amazon EKS User Guide, kubernetes-versions.html)."""

from __future__ import annotations

from datetime import date, timedelta

from blueprints.engine.graph import ResourceGraph
from blueprints.versions import EKS_VERSIONS

CLUSTER_TYPE = "aws:eks/cluster:Cluster"
NOTICE = timedelta(days=60)
"""EKS announces the end of standard support at least 60 days ahead (EKS user guide, version FAQs): the window in
which an upgrade must be planned."""


def support_problem(version: str, as_of: date, notice: timedelta) -> str | None:
    """Why running Kubernetes `version` on EKS on `as_of` is a problem (unknown to the release calendar, out of
    standard support, or under `notice` of it left), or None."""
    if version not in EKS_VERSIONS:
        return (f"Kubernetes version {version or '(EKS default)'!r} is not in the EKS release calendar "
                f"(known: {', '.join(EKS_VERSIONS)})")
    ends = EKS_VERSIONS[version].standard_support_ends
    if ends <= as_of:
        return (f"Kubernetes {version} left EKS standard support on {ends} (extended support, $0.60 instead of "
                "$0.10 per cluster-hour)")
    if ends - as_of < notice:
        return (f"Kubernetes {version} leaves EKS standard support on {ends}, {(ends - as_of).days} days from "
                f"{as_of} (under {notice.days})")
    return None


def version_problems(graph: ResourceGraph, prod: bool, as_of: date) -> list[str]:
    """One line per cluster whose version is unknown, out of standard support, or (prod) within 60 days of it."""
    problems = []
    for cluster in graph.of_type(CLUSTER_TYPE):
        problem = support_problem(str(cluster.inputs.get("version") or ""), as_of, NOTICE if prod else timedelta(0))
        if problem:
            problems.append(f"{cluster.name} ({cluster.type}): {problem}; fix: set cluster.kubernetes_version to a "
                            "version of the calendar with standard support left")
    return problems
