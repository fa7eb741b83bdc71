"""Names and addresses both sides agree on: the components that create node pools, taints, trigger
authentications and VPCs, and the generators whose manifests select, tolerate and reference them.

Pure data (no pulumi): it sits below the generators in the layers (pyproject.toml, import-linter), so a generator
never imports a component to learn a label.
"""

from __future__ import annotations

import ipaddress
from typing import Any

PART_OF = "llm-platform"
"""`app.kubernetes.io/part-of` of every workload object the platform applies."""
RESTRICTED = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
"""Pod securityContext meeting the Kubernetes `restricted` Pod Security Standard."""
CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""Container securityContext of every platform workload (restricted standard, read-only root filesystem)."""

DNS_EGRESS = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
              "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
"""NetworkPolicy egress rule: cluster DNS (CoreDNS in kube-system)."""
POD_IDENTITY_EGRESS = {"to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}], "ports": [{"protocol": "TCP", "port": 80}]}
"""NetworkPolicy egress rule: the EKS Pod Identity agent (link-local), where a pod's AWS SDK gets credentials."""
HTTPS_EGRESS = {"ports": [{"protocol": "TCP", "port": 443}]}
"""NetworkPolicy egress rule: HTTPS anywhere the VPC routes (AWS APIs through endpoints or NAT)."""

SYSTEM_NODE_LABEL = {"blueprints.io/node-role": "system"}
"""Node selector of the system node group (controllers, gateway, platform services)."""

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
"""Taint of every Karpenter GPU node: only pods tolerating it (model servers, GPU batch jobs) land there."""
GPU_TOLERATION = {"key": GPU_TAINT["key"], "operator": "Exists", "effect": GPU_TAINT["effect"]}
POOL_LABEL = "blueprints.io/gpu-pool"
"""Label of a Karpenter GPU NodePool's nodes, naming the pool (spec.cluster.gpu_pools[].name)."""
NODE_CLASS = "gpu"
"""Name of the EC2NodeClass the GPU NodePools use."""

AMP_AUTHENTICATION = "amazon-managed-prometheus"
"""KEDA ClusterTriggerAuthentication (pod identity) the serving ScaledObjects query Amazon Managed Prometheus with."""


def region_cidr(base_cidr: str, region_index: int) -> str:
    """Region N gets the /16 N positions after the first region's, so VPCs can be peered without overlap."""
    network = ipaddress.ip_network(base_cidr)
    return str(ipaddress.ip_network((int(network.network_address) + (region_index << 16), 16)))


def zone_spread(match_labels: dict[str, str]) -> list[dict[str, object]]:
    """Spread a workload's pods across zones where possible (never blocks scheduling)."""
    return [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": match_labels}}]


def labels(name: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": PART_OF,
            "app.kubernetes.io/component": component}


def pod_selector(name: str) -> dict[str, str]:
    """The label a platform service's Deployment, Service, PDB and spread select its pods by."""
    return {"app.kubernetes.io/name": name}


def deployment(name: str, namespace: str, component: str, replicas: int, pod: dict[str, Any]) -> dict[str, Any]:
    """A platform service's Deployment: pods labelled and selected by `name`, spread across zones, `pod` the rest of
    the pod spec."""
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels(name, component)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": pod_selector(name)},
            "template": {
                "metadata": {"labels": labels(name, component)},
                "spec": {"topologySpreadConstraints": zone_spread(pod_selector(name)), **pod},
            },
        },
    }
