"""Fill the sizes a preset leaves to the planner: replica bounds per model and GPU limits per pool."""

from __future__ import annotations

import math

from blueprints.catalog.gpus import GPUS
from blueprints.catalog.hosted import HOSTED_MODELS
from blueprints.catalog.instances import INSTANCES, InstanceType, instances_for
from blueprints.catalog.models import MODELS
from blueprints.rollout import version_plans
from blueprints.sizing import SizingResult, size_deployment
from blueprints.spec import GpuPoolSpec, ModelSpec, PlatformSpec

BURST_HEADROOM = 1.25
"""max_replicas = replicas the planner needs at peak x this, so a burst above the stated peak still finds room
while new nodes start (GPU nodes take minutes)."""


def size_model(spec: PlatformSpec, model: ModelSpec) -> SizingResult:
    """The planner's answer for one self-hosted model at its stated peak traffic and SLOs."""
    pool = spec.pool(model.gpu_pool or "")
    capacity = spec.capacity_types(pool)[0]
    # The hosted catalog names Bedrock's copies of open models like the architectures: same key, same model.
    hosted = HOSTED_MODELS.get(model.model)
    return size_deployment(
        MODELS[model.model],
        GPUS[pool.gpu],
        model.tp,
        model.precision,
        requests_per_second=model.traffic.requests_per_second,
        input_tokens=model.traffic.input_tokens,
        output_tokens=model.traffic.output_tokens,
        ttft_p95_ms=model.slo.ttft_p95_ms,
        tpot_p95_ms=model.slo.tpot_p95_ms,
        hosted=hosted,
        capacity_type="spot" if capacity == "spot" else "on-demand",
    )


def resolve_capacity(spec: PlatformSpec) -> PlatformSpec:
    """A copy of `spec` with every planner-computed field set; explicit values are kept as given."""
    models = [_with_replica_bounds(spec, model) for model in spec.serving.models]
    resolved = spec.model_copy(deep=True)
    resolved.serving.models = models
    resolved.cluster.gpu_pools = [_with_gpu_limit(resolved, pool) for pool in spec.cluster.gpu_pools]
    return resolved


def _with_replica_bounds(spec: PlatformSpec, model: ModelSpec) -> ModelSpec:
    if model.hosting != "self-hosted" or model.max_replicas is not None:
        return model
    needed = size_model(spec, model).replicas
    floor = spec.min_replicas(model)
    return model.model_copy(update={"max_replicas": max(floor, 1, math.ceil(needed * BURST_HEADROOM))})


def largest_tp(spec: PlatformSpec, pool: GpuPoolSpec) -> int:
    return max((model.tp for model in spec.self_hosted_models if model.gpu_pool == pool.name), default=1)


def pool_instance_types(spec: PlatformSpec, pool: GpuPoolSpec) -> list[InstanceType]:
    """The pool's explicit list, or every catalog instance of its GPU family with room for its largest pod."""
    if pool.instance_types:
        return [INSTANCES[name] for name in pool.instance_types]
    return [instance for instance in instances_for(pool.gpu) if instance.gpus >= largest_tp(spec, pool)]


def _with_gpu_limit(spec: PlatformSpec, pool: GpuPoolSpec) -> GpuPoolSpec:
    if pool.max_gpus is not None:
        return pool
    placed = [model for model in spec.self_hosted_models if model.gpu_pool == pool.name]
    # Room for every running version of every model at its maximum (a canary beside stable, both colours of a
    # blue-green switch), plus one extra replica each so a rollout's surge pod can schedule.
    gpus = sum((sum(plan.max_replicas for plan in version_plans(spec, model)) + 1) * model.tp for model in placed)
    # Karpenter launches no node that would cross the limit: round up to whole nodes of the smallest fitting size.
    node_gpus = min(instance.gpus for instance in pool_instance_types(spec, pool))
    return pool.model_copy(update={"max_gpus": max(math.ceil(gpus / node_gpus), 1) * node_gpus})
