"""PodMonitors for platform software the model servers don't cover: the LiteLLM gateway, Karpenter and KEDA.

The model servers' PodMonitors come with them (blueprints.serving.manifests); the DCGM exporter and Fluent Bit
bring ServiceMonitors through their charts' values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NAMESPACE = "monitoring"
LABELS = {"app.kubernetes.io/part-of": "llm-platform", "app.kubernetes.io/managed-by": "pulumi"}


@dataclass(frozen=True)
class ScrapeTarget:
    name: str
    namespace: str
    pod_labels: dict[str, str]
    port: int
    path: str


LITELLM = ScrapeTarget("litellm", "gateway", {"app.kubernetes.io/name": "litellm"}, 4000, "/metrics/")
"""LiteLLM's `callbacks: ["prometheus"]` endpoint (the gateway must not require a key for it)."""
KARPENTER = ScrapeTarget("karpenter", "karpenter", {"app.kubernetes.io/name": "karpenter"}, 8080, "/metrics")
KEDA = ScrapeTarget("keda-operator", "keda", {"app.kubernetes.io/name": "keda-operator"}, 8080, "/metrics")
RETRIEVAL = ScrapeTarget("retrieval-service", "retrieval", {"app.kubernetes.io/name": "retrieval-service"}, 8080,
                         "/metrics")


def pod_monitor(target: ScrapeTarget) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": target.name, "namespace": NAMESPACE,
                     "labels": {**LABELS, "app.kubernetes.io/name": target.name,
                                "app.kubernetes.io/component": "monitoring"}},
        "spec": {"selector": {"matchLabels": target.pod_labels},
                 "namespaceSelector": {"matchNames": [target.namespace]},
                 "podMetricsEndpoints": [{"portNumber": target.port, "path": target.path, "interval": "30s"}]},
    }


FEEDBACK_API = ScrapeTarget("feedback-api", "feedback", {"app.kubernetes.io/name": "feedback-api"}, 8080, "/metrics")
"""blueprints_feedback_total (blueprints/feedback/api.py)."""
FEEDBACK_QUALITY = ScrapeTarget("feedback-quality", "feedback", {"app.kubernetes.io/name": "feedback-quality"}, 9090,
                                "/metrics")
"""Prompt clusters and judge scores (blueprints/feedback/quality.py)."""


def scrape_targets(self_hosted: bool, gpu_pools: bool, retrieval: bool = False, feedback: bool = False,
                   quality_worker: bool = False) -> list[ScrapeTarget]:
    """The gateway always; KEDA with self-hosted models (it scales them); Karpenter with GPU pools; the retrieval
    service, the feedback API and its quality worker where they run."""
    return [LITELLM, *([KEDA] if self_hosted else []), *([KARPENTER] if gpu_pools else []),
            *([RETRIEVAL] if retrieval else []), *([FEEDBACK_API] if feedback else []),
            *([FEEDBACK_QUALITY] if quality_worker else [])]


def prometheus_rule(name: str, rules: dict[str, Any]) -> dict[str, Any]:
    """A rule file as a PrometheusRule; render turns it back into the plain file."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name, "namespace": NAMESPACE,
                     "labels": {**LABELS, "app.kubernetes.io/name": name, "app.kubernetes.io/component": "alerting"}},
        "spec": rules,
    }
