"""In prod, every model server (a GPU workload) keeps at least 2 replicas and has a PodDisruptionBudget."""

from collections.abc import Iterator, Sequence

from ..model import Finding, Res, StackContext
from ..workloads import has_pdb, replica_floor, scalable, serves_models

MIN_REPLICAS = 2


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    if not ctx.is_prod:
        return
    for workload in (w for w in scalable(resources) if serves_models(w)):
        floor = replica_floor(workload, resources)
        if floor < MIN_REPLICAS:
            yield Finding(f"model server {workload.name!r} can drop to {floor:g} replicas; set spec.replicas or "
                          f"the autoscaler minimum to >= {MIN_REPLICAS}", workload.urn)
        if not has_pdb(workload, resources):
            yield Finding(f"model server {workload.name!r} has no PodDisruptionBudget", workload.urn)
