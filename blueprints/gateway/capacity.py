"""How many gateway replicas a platform needs: its peak request rate over what one LiteLLM core was measured to
sustain with the production features on (`make bench`, bench/gateway_overhead.py)."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict

from blueprints.spec import PlatformSpec

HPA_CPU_UTILIZATION = 60
"""The gateway HPA's CPU target (percent): replicas are planned to run at this load, the rest is burst headroom."""


ENVOY_ABOVE_CORES = 3
"""`gateway.data_plane: auto` puts Envoy in front once the planned peak needs more LiteLLM cores than this (at the
HPA's CPU target): past a few cores the Python path's CPU per request (MEASURED) dominates the gateway's cost."""


class CoreThroughput(BaseModel):
    """Requests one gateway core (one LiteLLM worker) sustains, as measured."""

    model_config = ConfigDict(frozen=True)

    rps_per_core: float
    cpu_ms_per_request: float
    measured_on: str
    machine: str
    source: str


MEASURED = CoreThroughput(
    rps_per_core=50.0,
    cpu_ms_per_request=19.8,
    measured_on="2026-12-04",
    machine="AMD EPYC, 2 vCPUs shared with other jobs (load average ~10): a pessimistic figure",
    source="make bench (bench/gateway_overhead.py): regulated-industry prod config, non-streaming, concurrency 16, "
           "proxy pinned to one core; 1000 / the proxy's CPU ms per request",
)


class GatewaySizing(BaseModel):
    """The gateway's replicas in one region: the spec's floor and ceiling, raised to what the peak needs."""

    model_config = ConfigDict(frozen=True)

    peak_rps: float
    """Planned peak requests per second of every model together (spec.serving.models[*].traffic)."""
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
    per_core: CoreThroughput

    def line(self) -> str:
        count = (f"{self.replicas}-{self.max_replicas} replicas" if self.autoscaled
                 else f"{self.replicas} Fargate tasks (fixed count, no autoscaling)")
        return (f"gateway: {count} x {self.cpu_per_replica} vCPU for a peak of "
                f"{self.peak_rps:g} req/s (cores needed at {HPA_CPU_UTILIZATION}% CPU: {self.cores_at_peak}; "
                f"{self.per_core.rps_per_core:g} req/s per core measured {self.per_core.measured_on})")


def gateway_sizing(spec: PlatformSpec, per_core: CoreThroughput = MEASURED) -> GatewaySizing:
    gateway = spec.gateway
    peak = sum(model.traffic.requests_per_second for model in spec.serving.models)
    usable = per_core.rps_per_core * HPA_CPU_UTILIZATION / 100

    def replicas_for(rps: float) -> int:
        return math.ceil(rps / (usable * gateway.cpu))

    replicas = max(gateway.replicas, replicas_for(peak))
    autoscaled = spec.runtime == "eks"
    return GatewaySizing(
        peak_rps=peak, cores_at_peak=math.ceil(peak / usable), cpu_per_replica=gateway.cpu, replicas=replicas,
        max_replicas=max(gateway.hpa_max_replicas, replicas_for(peak * gateway.limit_headroom)) if autoscaled
        else replicas,
        autoscaled=autoscaled, per_core=per_core)
