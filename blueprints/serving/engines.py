"""The two model-server engines and what differs between them: ports, health and metrics paths, the metric
names autoscaling reads, and how the generated configuration reaches the container."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from blueprints.catalog import metrics as m

TRITON_CONFIG_MOUNT = "/etc/triton-model"


@dataclass(frozen=True)
class Engine:
    name: str
    """Value of `serving.engine`, and of the entrypoint's SERVER variable."""
    image: str
    """Our image built from images/<image>/ (and its ECR repository name)."""
    port: int
    api_path: str
    """Path of the OpenAI API under the Service's base URL (both engines serve OpenAI `/v1`)."""
    health_path: str
    metrics_port: int
    metrics_path: str
    waiting_metric: str
    """Gauge of requests queued in the server, per pod."""
    kv_cache_metric: str | None
    """Gauge of KV-cache utilisation (0..1), per pod; None where the engine exports none."""
    artifact_kind: str
    config_suffix: str

    @property
    def metrics_port_name(self) -> str:
        return "http" if self.metrics_port == self.port else "metrics"

    def container_ports(self) -> list[dict[str, Any]]:
        ports = [{"name": "http", "containerPort": self.port, "protocol": "TCP"}]
        if self.metrics_port != self.port:
            ports.append({"name": "metrics", "containerPort": self.metrics_port, "protocol": "TCP"})
        return ports

    def config_env(self, config_map: str) -> list[dict[str, Any]]:
        if self.name == "triton":
            return [{"name": "TRITON_MODEL_CONFIG_DIR", "value": TRITON_CONFIG_MOUNT}]
        return [{"name": "LLM_API_OPTIONS",
                 "valueFrom": {"configMapKeyRef": {"name": config_map, "key": "llm-api-options.json"}}}]

    def config_mounts(self) -> list[dict[str, Any]]:
        if self.name == "triton":
            return [{"name": "model-config", "mountPath": TRITON_CONFIG_MOUNT, "readOnly": True}]
        return []

    def config_volumes(self, config_map: str) -> list[dict[str, Any]]:
        if self.name == "triton":
            return [{"name": "model-config", "configMap": {"name": config_map}}]
        return []


ENGINES: dict[str, Engine] = {
    "trtllm-serve": Engine(
        name="trtllm-serve", image="trtllm-serve", port=8000, api_path="/v1", health_path="/health",
        metrics_port=8000, metrics_path="/prometheus/metrics",
        waiting_metric=m.TRTLLM_REQUESTS_WAITING, kv_cache_metric=m.TRTLLM_KV_CACHE_UTILIZATION,
        artifact_kind="trtllm-options", config_suffix="options",
    ),
    "triton": Engine(
        # Triton's OpenAI-compatible frontend (triton-inference-server/server r26.09 python/openai/openai_frontend:
        # main.py --openai-port, default 9000; routers/observability.py serves /metrics, Triton's own Prometheus
        # text, and /health/ready on that same port). It runs Triton in-process: no KServe or 8002 metrics port.
        name="triton", image="triton-trtllm", port=9000, api_path="/v1", health_path="/health/ready",
        metrics_port=9000, metrics_path="/metrics",
        # Triton's core metrics; the LLM-API (python) backend exports no KV-cache gauge.
        waiting_metric=m.TRITON_PENDING_REQUESTS, kv_cache_metric=None,
        artifact_kind="triton-model-config", config_suffix="triton",
    ),
}
