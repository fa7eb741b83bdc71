"""In prod, every Deployment/StatefulSet that runs 2+ replicas has a PodDisruptionBudget selecting its pods."""

from collections.abc import Iterator, Sequence

from ..model import Finding, Res, StackContext
from ..workloads import has_pdb, replica_floor, scalable


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    if not ctx.is_prod:
        return
    for workload in scalable(resources):
        if replica_floor(workload, resources) >= 2 and not has_pdb(workload, resources):
            yield Finding(f"{workload.name!r} runs >= 2 replicas but no PodDisruptionBudget in its namespace "
                          "selects its pod labels", workload.urn)
