"""How many gateway replicas a platform needs: its peak request rate times the CPU one LiteLLM core was measured to
spend per request (`make bench`, bench/gateway_overhead.py) on the rendered config with the spec's features,
blended by the share of streamed requests."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict

from blueprints.gateway.guardrails import content_guardrails, response_guardrails
from blueprints.spec import PlatformSpec

HPA_CPU_UTILIZATION = 60
"""The gateway HPA's CPU target (percent): replicas are planned to run at this load, the rest is burst headroom."""


ENVOY_ABOVE_CORES = 3
"""`gateway.data_plane: auto` puts Envoy in front once the planned peak needs more LiteLLM cores than this (at the
HPA's CPU target): past a few cores the Python path's CPU per request (MEASURED) dominates the gateway's cost."""


class ConfigCost(BaseModel):
    """CPU time one LiteLLM worker spends per request on one rendered config, as measured."""

    model_config = ConfigDict(frozen=True)

    config: str
    non_streamed_ms: float
    streamed_ms: float
    """A streamed answer of STREAM_CHUNKS content chunks."""
    measured_on: str
    machine: str
    source: str

    def cpu_ms(self, streamed_share: float) -> float:
        return streamed_share * self.streamed_ms + (1 - streamed_share) * self.non_streamed_ms


STREAM_CHUNKS = 16
"""Content chunks per measured stream (bench/gateway_overhead.py OUTPUT_TOKENS)."""
_SOURCE = ("make bench (bench/gateway_overhead.py): the rendered prod config without its models' rpm/tpm limits, "
           "concurrency 16, one worker pinned to one core, the proxy's CPU seconds (/proc) per successful request "
           "with fresh prompts (no response-cache hits) and its S3 audit uploads counted; median of the runs")
_MACHINE = "AMD EPYC, 2 vCPUs, otherwise idle (load average < 1.7)"
PLAIN = ConfigCost(
    config="saas-like", non_streamed_ms=14.8, streamed_ms=26.4, measured_on="2026-12-04", machine=_MACHINE,
    source=f"{_SOURCE}: saas prod (its semantic cache as the exact one); two full benches, 14.1-15.5 and "
           "25.9-26.8 ms")
GUARDED = ConfigCost(
    config="regulated-like", non_streamed_ms=17.0, streamed_ms=41.5, measured_on="2026-12-04", machine=_MACHINE,
    source=f"{_SOURCE}: regulated-industry prod; two full benches, 16.9-17.0 ms, and four streamed runs (two of "
           "them 4 s long), 36.3-42.1 ms. The runs before the limits were lifted (17.8 / 44.7 ms) included requests "
           "LiteLLM's router held and retried once reg-large's 480 requests a minute were spent")
KEY_CHECK = ConfigCost(
    config="key check", non_streamed_ms=1.9, streamed_ms=1.9, measured_on="2026-12-04", machine=_MACHINE,
    source="make bench (bench/envoy_key_check.py): LiteLLM's POST /key/health as Envoy's extAuth sends it, a virtual "
           "key of a DB-mode proxy (the startup-mvp config, its Redis), concurrency 16, one worker pinned to one core; "
           "five runs, 1.90-2.08 ms. Beside Envoy on a shared core (bench/envoy_data_plane.py) 2.1-2.6 ms")
"""What LiteLLM spends on each model request of the Envoy data plane: Envoy asks it about the caller's key."""
MEASURED = {cost.config: cost for cost in (PLAIN, GUARDED)}
"""Per rendered config: saas-like (metrics, hooks, S3 audit, cache) and regulated-like (the same plus LiteLLM's
content-filter guardrails, our response guardrails and OpenTelemetry tracing)."""


def cost_drivers(spec: PlatformSpec) -> tuple[str, ...]:
    """The features on in `spec` that the regulated-like config adds to the saas-like one: any of them selects its
    measured cost (GUARDED), all of them together being what was measured. They drive the streamed cost: on the
    regulated config, taking out its guardrails cut a stream from 43-45 to 32-36 ms, taking out tracing to 35-36 ms
    (2026-12-04, two runs each, same machine); a whole answer costs about the same on both configs."""
    on = {"gateway.pii_masking": spec.gateway.pii_masking,
          "content-safety guardrail": bool(content_guardrails(spec)),
          "response guardrails": bool(response_guardrails(spec)),
          "observability.tracing": spec.observability.tracing}
    return tuple(name for name, enabled in on.items() if enabled)


class GatewaySizing(BaseModel):
    """The gateway's replicas in one region: the spec's floor and ceiling, raised to what the peak needs."""

    model_config = ConfigDict(frozen=True)

    peak_rps: float
    """Planned peak requests per second of every model together (spec.serving.models[*].traffic)."""
    streamed_share: float
    """Share of the peak's requests that stream (each model's `traffic.streamed_share`, weighted by its rate)."""
    cost: ConfigCost
    """The measured config whose cost applies: GUARDED when any of `drivers` is on, else PLAIN."""
    key_checked: bool = False
    """With the Envoy data plane: every model request also costs LiteLLM a key check (KEY_CHECK)."""
    envoy_carried: tuple[str, ...] = ()
    """With the Envoy data plane: models whose requests Envoy routes itself (LiteLLM only checks their keys)."""
    drivers: tuple[str, ...]
    cpu_ms_per_request: float
    """`cost` blended by `streamed_share`."""
    cores_at_peak: int
    """Cores that serve the peak at the HPA's CPU target."""
    cpu_per_replica: int
    replicas: int
    """HPA floor: the spec's `gateway.replicas` (availability), or more where the peak needs them."""
    max_replicas: int
    """HPA ceiling: room for `gateway.limit_headroom` x the peak, the traffic the model limits admit. On Fargate,
    where the ECS service runs a fixed task count (no autoscaling target), the floor itself."""
    autoscaled: bool
    """True on EKS (the gateway's HPA); False on Fargate (components/gateway_fargate.py: `desired_count`)."""

    @property
    def rps_per_core(self) -> float:
        return 1000 / self.cpu_ms_per_request

    def line(self) -> str:
        count = (f"{self.replicas}-{self.max_replicas} replicas" if self.autoscaled
                 else f"{self.replicas} Fargate tasks (fixed count, no autoscaling)")
        features = f" ({', '.join(self.drivers)})" if self.drivers else ""
        envoy = (f"; Envoy routes {', '.join(self.envoy_carried) or 'no model'} itself and LiteLLM checks every "
                 f"request's key at {KEY_CHECK.non_streamed_ms:g} ms" if self.key_checked else "")
        return (f"gateway: {count} x {self.cpu_per_replica} vCPU for a peak of "
                f"{self.peak_rps:g} req/s, {self.streamed_share:.0%} streamed (cores needed at "
                f"{HPA_CPU_UTILIZATION}% CPU: {self.cores_at_peak}; {self.cpu_ms_per_request:.1f} ms CPU per request "
                f"= {self.rps_per_core:.0f} req/s per core, {self.cost.config} config{features} measured "
                f"{self.cost.measured_on}{envoy})")


def gateway_sizing(spec: PlatformSpec, key_checked: bool = False,
                   envoy_carried: frozenset[str] = frozenset()) -> GatewaySizing:
    """LiteLLM's replicas for the spec's peak. With `key_checked` (the Envoy data plane) each request also costs a key
    check, and the models in `envoy_carried` cost LiteLLM nothing else."""
    gateway = spec.gateway
    traffic = [model.traffic for model in spec.serving.models]
    peak = sum(t.requests_per_second for t in traffic)
    streamed = sum(t.requests_per_second * t.streamed_share for t in traffic) / peak if peak else 0.0
    drivers = cost_drivers(spec)
    cost = GUARDED if drivers else PLAIN
    cpu_ms = cost.cpu_ms(streamed)
    if envoy_carried and peak:
        cpu_ms = sum(model.traffic.requests_per_second * cost.cpu_ms(model.traffic.streamed_share)
                     for model in spec.serving.models if model.name not in envoy_carried) / peak
    if key_checked:
        cpu_ms += KEY_CHECK.non_streamed_ms
    usable = 1000 / cpu_ms * HPA_CPU_UTILIZATION / 100

    def replicas_for(rps: float) -> int:
        return math.ceil(rps / (usable * gateway.cpu))

    replicas = max(gateway.replicas, replicas_for(peak))
    autoscaled = spec.runtime == "eks"
    return GatewaySizing(
        peak_rps=peak, streamed_share=streamed, cost=cost, drivers=drivers, cpu_ms_per_request=cpu_ms,
        key_checked=key_checked, envoy_carried=tuple(sorted(envoy_carried)),
        cores_at_peak=math.ceil(peak / usable), cpu_per_replica=gateway.cpu, replicas=replicas,
        max_replicas=max(gateway.hpa_max_replicas, replicas_for(peak * gateway.limit_headroom)) if autoscaled
        else replicas,
        autoscaled=autoscaled)
