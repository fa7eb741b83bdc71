"""Create a Kubernetes object from a manifest dict as the typed Pulumi resource of its kind."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

_TYPED: dict[str, type[pulumi.CustomResource]] = {
    "Namespace": k8s.core.v1.Namespace,
    "ConfigMap": k8s.core.v1.ConfigMap,
    "ServiceAccount": k8s.core.v1.ServiceAccount,
    "Service": k8s.core.v1.Service,
    "Deployment": k8s.apps.v1.Deployment,
    "HorizontalPodAutoscaler": k8s.autoscaling.v2.HorizontalPodAutoscaler,
    "PodDisruptionBudget": k8s.policy.v1.PodDisruptionBudget,
    "NetworkPolicy": k8s.networking.v1.NetworkPolicy,
    "Job": k8s.batch.v1.Job,
    "StorageClass": k8s.storage.v1.StorageClass,
}


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def apply_manifest(name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions,
                   autoscaled: bool = False) -> pulumi.CustomResource:
    """Custom resources become `CustomResource`s. `autoscaled`: an HPA owns the Deployment's replica count."""
    kind = manifest["kind"]
    fields = {_snake(key): value for key, value in manifest.items() if key not in ("apiVersion", "kind")}
    resource_type = _TYPED.get(kind)
    if resource_type is None:
        return k8s.apiextensions.CustomResource(name, api_version=manifest["apiVersion"], kind=kind, opts=opts,
                                                **fields)
    if kind == "Deployment" and autoscaled:
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(ignore_changes=["spec.replicas"]))
    return resource_type(name, opts=opts, **fields)
