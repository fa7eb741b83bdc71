"""Which data plane carries the model requests (`gateway.data_plane`), which models Envoy routes itself, and how
much LiteLLM that leaves to size: pure functions of the spec, below the gateway's manifests and configs (which size
LiteLLM by `litellm_sizing`) and the Envoy data plane's objects (blueprints/gateway/envoy_data_plane.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from blueprints.gateway.capacity import ENVOY_ABOVE_CORES, HPA_CPU_UTILIZATION, GatewaySizing, gateway_sizing
from blueprints.spec import ModelSpec, PlatformSpec

MODEL_PATHS = ("/v1/chat/completions", "/v1/completions")
"""What the ALB sends to Envoy: the OpenAI endpoints Envoy AI Gateway v1.1.0 routes by model and trtllm-serve serves
(blueprints/contracts/ports.py SERVER_ROUTES). Embeddings, the admin API (/key, /team), feedback, batches and the UI
stay on their own backends."""
KEY_CHECK_PATH = "/key/health"
"""LiteLLM's POST endpoint behind `user_api_key_auth`: 200 for a valid key, 401/400 otherwise."""


class DataPlane(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["litellm", "envoy"]
    reason: str
    pooled: tuple[str, ...] = ()
    """With envoy: models Envoy routes to their InferencePool itself; the others go on through LiteLLM."""
    via_litellm: tuple[str, ...] = ()
    rpm_per_key: int = 0

    def line(self) -> str:
        if self.kind == "litellm":
            return f"data plane: litellm ({self.reason})"
        pooled = ", ".join(self.pooled) or "none"
        return (f"data plane: envoy ({self.reason}): the ALB sends {', '.join(MODEL_PATHS)} to Envoy, which limits "
                f"each key to {self.rpm_per_key} req/min and checks it with LiteLLM {KEY_CHECK_PATH}; to their "
                f"InferencePool: {pooled}; through LiteLLM: {', '.join(self.via_litellm) or 'none'}")


def routed_models(spec: PlatformSpec) -> list[ModelSpec]:
    """Self-hosted models that can have more than one replica: picking a pod only matters there."""
    if not spec.gateway.inference_routing:
        return []
    return [model for model in spec.self_hosted_models if (model.max_replicas or 1) > 1]


def envoy_threshold_rps(sizing: GatewaySizing) -> float:
    """The peak ENVOY_ABOVE_CORES LiteLLM cores carry at the HPA's target, at the spec's CPU per request."""
    return round(ENVOY_ABOVE_CORES * sizing.rps_per_core * HPA_CPU_UTILIZATION / 100, 1)


def data_plane(spec: PlatformSpec) -> DataPlane:
    """The spec's choice, or for `auto` the planned peak against ENVOY_ABOVE_CORES of LiteLLM."""
    chosen = spec.gateway.data_plane
    if chosen == "auto":
        sizing = gateway_sizing(spec)
        peak, threshold = sizing.peak_rps, envoy_threshold_rps(sizing)
        above = peak > threshold
        if above and not (spec.runtime == "eks" and spec.gateway.inference_routing):
            return DataPlane(kind="litellm", reason=f"auto: peak {peak:g} req/s > {threshold:g}, but Envoy needs "
                                                    "runtime eks and gateway.inference_routing")
        chosen = "envoy" if above else "litellm"
        reason = (f"auto: peak {peak:g} req/s {'>' if above else '<='} {threshold:g} req/s, "
                  f"{ENVOY_ABOVE_CORES} LiteLLM cores at {HPA_CPU_UTILIZATION}% CPU")
    else:
        reason = "gateway.data_plane"
    if chosen == "litellm":
        return DataPlane(kind="litellm", reason=reason)
    routed = {model.name for model in routed_models(spec)}
    pooled = tuple(model.name for model in spec.serving.models if litellm_reason(spec, model, routed) is None)
    return DataPlane(kind="envoy", reason=reason, pooled=pooled, rpm_per_key=spec.gateway.rpm_per_key,
                     via_litellm=tuple(model.name for model in spec.serving.models if model.name not in pooled))


def litellm_reason(spec: PlatformSpec, model: ModelSpec, routed: set[str]) -> str | None:
    """Why a model's requests still go through LiteLLM; None when Envoy routes them to the model's pool."""
    gateway = spec.gateway
    platform_wide = [name for name, on in (("pii_masking", gateway.pii_masking),
                                           ("bedrock_guardrail", gateway.bedrock_guardrail is not None),
                                           ("cache", spec.cache.enabled)) if on]
    if platform_wide:
        return f"{', '.join(platform_wide)} run in LiteLLM"
    if model.name not in routed:
        return "no InferencePool (hosted or single replica)"
    if gateway.fallbacks.get(model.name):
        return "fallbacks run in LiteLLM"
    if any(experiment.model == model.name for experiment in gateway.experiments):
        return "A/B experiment runs in LiteLLM"
    if any(model.name in team.models for team in spec.access.teams):
        return "team budgets count spend in LiteLLM"
    return None


def litellm_sizing(spec: PlatformSpec) -> GatewaySizing:
    """LiteLLM's replicas under the chosen data plane: on Envoy's, LiteLLM answers a key check for every model request
    and carries only the models Envoy does not route itself."""
    plane = data_plane(spec)
    if plane.kind == "litellm":
        return gateway_sizing(spec)
    return gateway_sizing(spec, key_checked=True, envoy_carried=frozenset(plane.pooled))
