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


def version_problems(graph: ResourceGraph, prod: bool, as_of: date) -> list[str]:
    """One line per cluster whose version is unknown, out of standard support, or (prod) within 60 days of it."""
    problems = []
    for cluster in graph.of_type(CLUSTER_TYPE):
        version = str(cluster.inputs.get("version") or "")
        where = f"{cluster.name} ({cluster.type})"
        if version not in EKS_VERSIONS:
            problems.append(f"{where}: Kubernetes version {version or '(EKS default)'!r} is not in the EKS release "
                            f"calendar (known: {', '.join(EKS_VERSIONS)}); fix: set cluster.kubernetes_version")
            continue
        ends = EKS_VERSIONS[version].standard_support_ends
        if ends <= as_of:
            problems.append(f"{where}: Kubernetes {version} left standard support on {ends} (extended support: "
                            "$0.60 instead of $0.10 per cluster-hour); fix: upgrade cluster.kubernetes_version")
        elif prod and ends - as_of < NOTICE:
            problems.append(f"{where}: Kubernetes {version} leaves standard support on {ends}, "
                            f"{(ends - as_of).days} days after {as_of} (prod needs {NOTICE.days}); fix: upgrade "
                            "cluster.kubernetes_version")
    return problems
