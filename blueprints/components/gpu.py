"""GPU software on the nodes: NVIDIA GPU operator (or the bare device plugin), from the upstream chart.

The EKS-optimized accelerated AL2023 AMI already ships the driver and container toolkit, so the operator runs
with those disabled and manages the device plugin, GPU feature discovery and the DCGM exporter.
"""

from __future__ import annotations

import pulumi

from blueprints.components.helm import chart_release
from blueprints.components.karpenter import GPU_TAINT
from blueprints.naming import Namer
from blueprints.spec import ClusterSpec

NAMESPACE = "gpu-operator"
GPU_TOLERATION = {"key": GPU_TAINT["key"], "operator": "Exists", "effect": GPU_TAINT["effect"]}


def gpu_operator_values() -> dict:
    return {
        "driver": {"enabled": False},
        "toolkit": {"enabled": False},
        "devicePlugin": {"enabled": True},
        "gfd": {"enabled": True},
        "dcgmExporter": {"enabled": True, "serviceMonitor": {"enabled": True}},
        "daemonsets": {"tolerations": [GPU_TOLERATION]},
        "nfd": {"enabled": True},
    }


def device_plugin_values() -> dict:
    return {"tolerations": [GPU_TOLERATION], "gfd": {"enabled": True}}


class GpuSoftware(pulumi.ComponentResource):
    def __init__(self, name: str, spec: ClusterSpec, namer: Namer, *, opts: pulumi.ResourceOptions):
        super().__init__("blueprints:cluster:GpuSoftware", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if spec.gpu_software == "gpu-operator":
            chart_release(namer("gpu-operator"), "gpu-operator", NAMESPACE, gpu_operator_values(), child)
        else:
            chart_release(namer("nvidia-device-plugin"), "nvidia-device-plugin", NAMESPACE, device_plugin_values(),
                          child)
        self.register_outputs({})
