"""Stack-level facts about Kubernetes workloads: their replica floor (from spec.replicas or an
autoscaler) and whether a PodDisruptionBudget covers them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from . import tokens
from .k8s import (
    desired_replicas,
    each_container,
    gpu_count,
    kind_of,
    name,
    namespace,
    pod_labels,
    selector_matches,
)
from .model import Res
from .props import dig, number


def scalable(resources: Sequence[Res]) -> Iterator[Res]:
    return (r for r in resources if r.type in tokens.K8S_SCALABLE)


def _targets(autoscaler: Res, workload: Res) -> bool:
    ref = dig(autoscaler.props, "spec.scaleTargetRef", {}) or {}
    return (namespace(autoscaler.props) == namespace(workload.props)
            and ref.get("name") == name(workload.props, workload.name)
            and ref.get("kind", "Deployment") == kind_of(workload.type))


def replica_floor(workload: Res, resources: Sequence[Res]) -> float:
    """The fewest replicas the workload can run with: an autoscaler's minimum if one targets it
    (HPA minReplicas defaults to 1, KEDA minReplicaCount to 0), else spec.replicas."""
    for scaler in resources:
        if scaler.type in tokens.K8S_HPA and _targets(scaler, workload):
            return number(dig(scaler.props, "spec.minReplicas")) or 1.0
        if scaler.type in tokens.KEDA_SCALED_OBJECT and _targets(scaler, workload):
            return number(dig(scaler.props, "spec.minReplicaCount")) or 0.0
    return desired_replicas(workload.props)


def has_pdb(workload: Res, resources: Sequence[Res]) -> bool:
    labels = pod_labels(workload.type, workload.props)
    return any(
        r.type in tokens.K8S_PDB
        and namespace(r.props) == namespace(workload.props)
        and dig(r.props, "spec.selector")
        and selector_matches(dig(r.props, "spec.selector"), labels)
        for r in resources
    )


def serves_models(workload: Res) -> bool:
    """A model server: a workload whose containers request GPUs."""
    return any(gpu_count(c) > 0 for _, c in each_container(workload.type, workload.props))
