"""GPU software on the nodes: NVIDIA GPU operator (or the bare device plugin), from the upstream chart.

The EKS-optimized accelerated AL2023 AMI already ships the driver and container toolkit, so the operator runs
with those disabled and manages the device plugin, GPU feature discovery and the DCGM exporter (with the metric
list of blueprints.observability.dcgm, profiling counters included). With the bare device plugin, the standalone
DCGM exporter chart runs with the same list.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from blueprints.components.helm import chart_release
from blueprints.conventions import GPU_TOLERATION
from blueprints.naming import Namer
from blueprints.observability import dcgm
from blueprints.spec import ClusterSpec

NAMESPACE = "gpu-operator"

def gpu_operator_values() -> dict:
    return {
        "driver": {"enabled": False},
        "toolkit": {"enabled": False},
        "devicePlugin": {"enabled": True},
        "gfd": {"enabled": True},
        "dcgmExporter": {"enabled": True, "serviceMonitor": {"enabled": True}, "config": {"name": dcgm.CONFIGMAP}},
        "daemonsets": {"tolerations": [GPU_TOLERATION]},
        "nfd": {"enabled": True},
    }


def device_plugin_values() -> dict:
    return {"tolerations": [GPU_TOLERATION], "gfd": {"enabled": True}}


def dcgm_exporter_values() -> dict:
    """Standalone DCGM exporter (device-plugin mode): the chart renders our metric list (`customMetrics`) into the
    counters file its default arguments read, so both modes emit the series the rules and dashboards use."""
    return {"customMetrics": dcgm.metrics_csv(), "tolerations": [GPU_TOLERATION], "serviceMonitor": {"enabled": True}}


def dcgm_metrics_configmap() -> dict:
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {
            "name": dcgm.CONFIGMAP, "namespace": NAMESPACE,
            "labels": {"app.kubernetes.io/name": "dcgm-exporter", "app.kubernetes.io/part-of": "llm-platform",
                       "app.kubernetes.io/component": "monitoring"},
            "annotations": {"blueprints.io/artifact-kind": "dcgm-metrics"},
        },
        "data": {dcgm.FILE: dcgm.metrics_csv()},
    }


class GpuSoftware(pulumi.ComponentResource):
    def __init__(self, name: str, spec: ClusterSpec, namer: Namer, *, opts: pulumi.ResourceOptions):
        super().__init__("blueprints:cluster:GpuSoftware", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if spec.gpu_software == "gpu-operator":
            release = chart_release(namer("gpu-operator"), "gpu-operator", NAMESPACE, gpu_operator_values(), child)
            manifest = dcgm_metrics_configmap()
            k8s.core.v1.ConfigMap(namer("dcgm-metrics"), metadata=manifest["metadata"], data=manifest["data"],
                                  opts=pulumi.ResourceOptions(parent=self, depends_on=[release]))
        else:
            chart_release(namer("nvidia-device-plugin"), "nvidia-device-plugin", NAMESPACE, device_plugin_values(),
                          child)
            chart_release(namer("dcgm-exporter"), "dcgm-exporter", NAMESPACE, dcgm_exporter_values(), child)
        self.register_outputs({})
