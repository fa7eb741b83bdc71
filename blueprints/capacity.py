"""Fill the sizes a preset leaves to the planner: replica bounds per model and GPU limits per pool; and place a
pool's replicas onto whole nodes (`pack`), which prices the GPU fleet, sizes the NodePool limits and the quotas
preflight checks."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from blueprints.catalog.gpus import GPUS
from blueprints.catalog.hosted import HOSTED_MODELS
from blueprints.catalog.instances import HOURS_PER_MONTH, INSTANCES, CapacityType, InstanceType, instances_for
from blueprints.catalog.models import MODELS
from blueprints.catalog.regional_prices import FALLBACK_REGION, hourly_price, regions_not_offering
from blueprints.rollout import version_plans
from blueprints.sizing import SizingResult, size_deployment
from blueprints.spec import GpuPoolSpec, ModelSpec, PlatformSpec, ReservationSpec

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
    """The pool's explicit list, or every catalog instance of its GPU family with room for its largest pod that is
    offered in every region of the platform (a NodePool is the same in each region; spec validation refuses a pool
    left with none)."""
    if pool.instance_types:
        return [INSTANCES[name] for name in pool.instance_types]
    return [instance for instance in instances_for(pool.gpu)
            if instance.gpus >= largest_tp(spec, pool) and not regions_not_offering(instance.name, spec.regions)]


def _with_gpu_limit(spec: PlatformSpec, pool: GpuPoolSpec) -> GpuPoolSpec:
    if pool.max_gpus is not None:
        return pool
    # Karpenter launches no node that would cross the limit: room for the whole nodes that the peak of every
    # Deployment on the pool plus each one's rollout surge pod takes, spread as the Deployments ask.
    placed = pack(spec, pool, pool_replicas(spec, pool, "surge"))
    return pool.model_copy(update={"max_gpus": max(placed.gpus, min(i.gpus for i in pool_instance_types(spec, pool)))})


# Scheduling rules of every model Deployment: the serving generator emits them from here, and the node packing
# below honours them, so the priced fleet and the NodePool limits follow what is actually deployed.
ZONE_KEY = "topology.kubernetes.io/zone"
HOSTNAME_KEY = "kubernetes.io/hostname"
SpreadRule = Literal["DoNotSchedule", "ScheduleAnyway"]
MAX_SURGE = 1
"""`maxSurge` of every model Deployment's rolling update: one extra pod at a time, never fewer ready pods."""


def spread_rules(spec: PlatformSpec) -> dict[str, SpreadRule]:
    """Topology key -> whenUnsatisfiable (maxSkew 1 each): zones are a hard rule in prod, nodes always a preference."""
    return {ZONE_KEY: "DoNotSchedule" if spec.environment == "prod" else "ScheduleAnyway",
            HOSTNAME_KEY: "ScheduleAnyway"}


def spread_constraints(spec: PlatformSpec, selector: dict[str, str]) -> list[dict[str, Any]]:
    """The Deployment's `topologySpreadConstraints`."""
    return [{"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": rule, "labelSelector": {"matchLabels": selector}}
            for key, rule in spread_rules(spec).items()]


@dataclass
class _OpenNode:
    """A node being filled: its zone (index) and the Deployments' pods on it."""

    zone: int
    pods: list[tuple[str, str, int]] = field(default_factory=list)
    """(model, version, GPUs) per pod."""

    @property
    def gpus_used(self) -> int:
        return sum(gpus for _, _, gpus in self.pods)


@dataclass(frozen=True)
class PlacedNode:
    zone: int
    instance: InstanceType
    pods: tuple[tuple[str, str, int], ...]


@dataclass(frozen=True)
class Placement:
    """Whole nodes of one pool holding a set of replicas (per region: each region runs its own NodePool)."""

    pool: str
    capacity_type: CapacityType
    nodes: tuple[PlacedNode, ...]
    reservation: ReservationSpec | None = None

    @property
    def gpus(self) -> int:
        """GPUs of the nodes, what Karpenter counts against the NodePool's `nvidia.com/gpu` limit."""
        return sum(node.instance.gpus for node in self.nodes)

    def usd_per_month(self, model: str | None = None, region: str = FALLBACK_REGION) -> float:
        """The nodes running all month at `region`'s prices; for `model`, each node's price split by the GPUs its
        pods take."""
        total = 0.0
        reserved = self.reservation
        free_in_zone: dict[int, int] = defaultdict(lambda: reserved_slots(reserved))
        for node in self.nodes:
            price = hourly_price(region, node.instance.name, self.capacity_type).usd_per_hour * HOURS_PER_MONTH
            # A Capacity Block is in one zone, AWS's choice: the plan counts its instances against any zone.
            slot = 0 if reserved and reserved.kind == "capacity-block" else node.zone
            if reserved and node.instance.name == reserved.instance_type and free_in_zone[slot]:
                # A reserved instance: its whole reservation is a fixed line of the bill (CapacityReservation, or
                # the Capacity Block for the hours it lasts; the rest of the month the node runs on-demand).
                free_in_zone[slot] -= 1
                price *= unreserved_share_of_month(reserved)
            elif reserved and reserved.kind == "savings-plan" and self.capacity_type == "on-demand":
                price *= 1 - (reserved.discount or 0.0)
            used = sum(gpus for _, _, gpus in node.pods)
            share = used if model is None else sum(gpus for name, _, gpus in node.pods if name == model)
            total += price * share / used
        return total


def reserved_slots(reservation: ReservationSpec | None) -> int:
    """Reserved instances per zone (a capacity reservation) or in all (a Capacity Block)."""
    if reservation is None:
        return 0
    return {"capacity-reservation": reservation.instances_per_zone,
            "capacity-block": reservation.block_instances}.get(reservation.kind, 0)


def unreserved_share_of_month(reservation: ReservationSpec) -> float:
    """The part of a month a reserved node runs outside its reservation (on-demand): none for a capacity
    reservation (open-ended), what a Capacity Block of under a month leaves."""
    if reservation.kind != "capacity-block" or reservation.duration_days is None:
        return 0.0
    return max(0.0, 1 - reservation.duration_days * 24 / HOURS_PER_MONTH)


def pool_capacity_type(spec: PlatformSpec, pool: GpuPoolSpec) -> CapacityType:
    """What Karpenter launches: spot when the NodePool allows it (Karpenter prefers spot over on-demand)."""
    return "spot" if "spot" in spec.capacity_types(pool) else "on-demand"


def pack(spec: PlatformSpec, pool: GpuPoolSpec, replicas: dict[tuple[str, str], int]) -> Placement:
    """Place `replicas` ((model, version) -> pods, one Deployment each) onto whole nodes of the pool, as Karpenter
    provisions them for pending pods.

    Every spread rule of `spread_rules` holds, `ScheduleAnyway` too: Karpenter's default `--preference-policy
    Respect` treats it as required while it can still launch a node, and a hostname domain's minimum is 0 because
    it can always launch one (kubernetes-sigs/karpenter pkg/controllers/provisioning/scheduling/preferences.go
    `removeTopologySpreadScheduleAnyway` is tried only after a pod fails to schedule; topologygroup.go). So the
    replicas of a Deployment split evenly over the zones, one per node.
    Pods go first-fit onto open nodes of an allowed zone, else onto a new node; each node becomes the cheapest
    instance type the NodePool allows with room for its pods (GPUs only: the planner sizes CPU and memory per GPU).
    """
    zones = spec.network.availability_zones
    spread = spread_rules(spec)
    instances = pool_instance_types(spec, pool)
    room = max(instance.gpus for instance in instances)
    tp = {model.name: model.tp for model in spec.self_hosted_models}
    nodes: list[_OpenNode] = []
    for (model, version), count in replicas.items():
        per_zone = [0] * zones
        for _ in range(count):
            allowed = [zone for zone in range(zones) if ZONE_KEY not in spread or per_zone[zone] == min(per_zone)]
            node = next((node for node in nodes if node.zone in allowed and node.gpus_used + tp[model] <= room
                         and (HOSTNAME_KEY not in spread or all(pod[:2] != (model, version) for pod in node.pods))),
                        None)
            if node is None:
                node = _OpenNode(zone=allowed[0])
                nodes.append(node)
            node.pods.append((model, version, tp[model]))
            per_zone[node.zone] += 1
    return Placement(pool=pool.name, capacity_type=pool_capacity_type(spec, pool), reservation=pool.reservation,
                     nodes=tuple(
        PlacedNode(zone=node.zone, pods=tuple(node.pods),
                   instance=min((i for i in instances if i.gpus >= node.gpus_used), key=lambda i: i.usd_per_hour))
        for node in nodes))


def pool_replicas(spec: PlatformSpec, pool: GpuPoolSpec, bound: Literal["floor", "peak", "surge"]
                  ) -> dict[tuple[str, str], int]:
    """Pods per Deployment on the pool: every running version (a canary beside stable, both colours of a
    blue-green switch) at its minimum (`floor`), its maximum (`peak`), or its maximum plus a rollout's surge pod."""
    return {
        (model.name, plan.version): plan.min_replicas if bound == "floor" else
        plan.max_replicas + (MAX_SURGE if bound == "surge" else 0)
        for model in spec.self_hosted_models if model.gpu_pool == pool.name
        for plan in version_plans(spec, model)
    }
