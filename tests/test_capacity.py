"""Whole-node GPU cost and NodePool limits: the plan's fleet against a hand-priced reference for every preset x env,
and every preset's peak (plus rollout surge) schedulable within the NodePool limits the graph renders."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date

import pytest

from blueprints.catalog.instances import HOURS_PER_MONTH, INSTANCES, SPOT_PRICE_FRACTION
from blueprints.engine.graph import ResourceGraph, ResourceRecord
from blueprints.plan import build_plan, gpu_fleet
from blueprints.presets import load_spec
from tests.conftest import PRESET_ENVS


def node_month(instance: str, nodes: int, spot: bool) -> float:
    """Reference arithmetic: on-demand price per hour (spot: x SPOT_PRICE_FRACTION) x nodes x 730 h."""
    return INSTANCES[instance].usd_per_hour * (SPOT_PRICE_FRACTION if spot else 1) * nodes * HOURS_PER_MONTH


# Hand placement, per region, for (floor, peak). Rules the Deployments carry and Karpenter (preference policy
# Respect) honours when it launches nodes: replicas of a Deployment spread evenly over the zones (maxSkew 1), and
# at most one pod of a Deployment per node (hostname spread, maxSkew 1; Karpenter can always add a node, so a
# node's minimum is 0). Pods of other Deployments (a canary's candidate) may join a node in the same zone; the node
# is then the cheapest allowed type with room for both. dev/staging: spot allowed (priced spot), 2 zones; prod:
# on-demand, 3 zones, replica floor 2. Instances allowed: L40S pools g6e.* (g6e.xlarge: 1 GPU, g6e.12xlarge: the
# cheapest with 2+ and with 4), the H100 pool p5.48xlarge (8 GPUs; TP2 rules out p5.4xlarge).
REFERENCE: dict[tuple[str, str], tuple[float, float]] = {
    # assistant (TP1, L40S, stable only): floor 0 -> no node; peak 3 -> 3 pods, one per node: 3 x g6e.xlarge.
    ("enterprise-assistant", "dev"): (0.0, node_month("g6e.xlarge", 3, spot=True)),
    # floor 1 -> 1 x g6e.xlarge; peak 3 -> 3 x g6e.xlarge.
    ("enterprise-assistant", "staging"): (node_month("g6e.xlarge", 1, True), node_month("g6e.xlarge", 3, True)),
    # floor 2 (zones a, b) -> 2 x g6e.xlarge; peak 3 (a, b, c) -> 3 x g6e.xlarge, on-demand.
    ("enterprise-assistant", "prod"): (node_month("g6e.xlarge", 2, False), node_month("g6e.xlarge", 3, False)),
    # corp-large (TP2, H100): floor 0; peak 2 -> one pod per node -> 2 x p5.48xlarge.
    # corp-small (TP1, L40S) stable max 2 + canary candidate max 1: floor 0; peak stable a, b + candidate joins
    # the zone-a node (2 GPUs) -> 1 x g6e.12xlarge + 1 x g6e.xlarge.
    ("internal-ai", "dev"): (0.0, node_month("p5.48xlarge", 2, True) + node_month("g6e.12xlarge", 1, True)
                             + node_month("g6e.xlarge", 1, True)),
    # floor: corp-large 1 -> 1 x p5.48xlarge; corp-small stable 1 + candidate 1 on one zone-a node ->
    # 1 x g6e.12xlarge. Peak as dev.
    ("internal-ai", "staging"): (
        node_month("p5.48xlarge", 1, True) + node_month("g6e.12xlarge", 1, True),
        node_month("p5.48xlarge", 2, True) + node_month("g6e.12xlarge", 1, True) + node_month("g6e.xlarge", 1, True)),
    # floor = peak (min 2 = max 2): corp-large 2 -> 2 x p5.48xlarge; corp-small stable 2 (a, b) + candidate 2
    # (the canary keeps prod's floor of 2: a, b) -> two nodes of 2 pods -> 2 x g6e.12xlarge, on-demand.
    ("internal-ai", "prod"): (
        node_month("p5.48xlarge", 2, False) + node_month("g6e.12xlarge", 2, False),
        node_month("p5.48xlarge", 2, False) + node_month("g6e.12xlarge", 2, False)),
    # regulated-industry runs in the EU, at the snapshot's regional prices (blueprints/catalog/regional_prices.json),
    # both models on L40S (g6e, offered in eu-central-1 and eu-north-1): g6e.12xlarge on-demand $13.12002/h in
    # eu-central-1, $11.12975/h in eu-north-1, spot reference $4.1388/h in eu-central-1; g6e.xlarge $2.327/h and
    # $1.974/h, spot reference $1.4351/h in eu-central-1.
    # reg-large (TP4: the cheapest L40S node with 4 GPUs is g6e.12xlarge, one pod each): floor 0, peak 9 (7 at the
    # planner's peak x 1.25 burst headroom); reg-small (TP1): floor 0, peak 2 -> 2 x g6e.xlarge; spot in dev.
    ("regulated-industry", "dev"): (0.0, (4.1388 * 9 + 1.4351 * 2) * HOURS_PER_MONTH),
    # floor 1 + 1 -> 1 x g6e.12xlarge + 1 x g6e.xlarge; peak as dev.
    ("regulated-industry", "staging"): ((4.1388 + 1.4351) * HOURS_PER_MONTH,
                                        (4.1388 * 9 + 1.4351 * 2) * HOURS_PER_MONTH),
    # per region (eu-central-1, eu-north-1), on-demand: floor 2 + 2 -> 2 x g6e.12xlarge + 2 x g6e.xlarge; peak 9 + 2
    # -> 9 x g6e.12xlarge + 2 x g6e.xlarge.
    ("regulated-industry", "prod"): (
        (13.12002 * 2 + 2.327 * 2 + 11.12975 * 2 + 1.974 * 2) * HOURS_PER_MONTH,
        (13.12002 * 9 + 2.327 * 2 + 11.12975 * 9 + 1.974 * 2) * HOURS_PER_MONTH),
    # Hosted models only: no GPU node.
    **{(preset, env): (0.0, 0.0) for preset in ("saas", "startup-mvp") for env in ("dev", "staging", "prod")},
}


@pytest.mark.parametrize(("preset", "env"), PRESET_ENVS)
def test_plan_prices_whole_nodes_like_the_hand_reference(graph_of, preset, env):
    plan = build_plan(load_spec(preset, env), graph_of(preset, env), date(2026, 12, 1))
    floor, peak = REFERENCE[(preset, env)]
    money = plan.summary["monthly_usd"]
    assert money["gpu_floor"] == pytest.approx(floor, rel=1e-4, abs=0.01)
    assert money["gpu_peak"] == pytest.approx(peak, rel=1e-4, abs=0.01)


def test_every_replica_counts_the_canary_too():
    """corp-small in prod runs 2 stable and 2 canary pods (the canary keeps prod's floor): the fleet says 4."""
    [small] = [line for line in gpu_fleet(load_spec("internal-ai", "prod")) if line.model == "corp-small"]
    assert (small.min_replicas, small.max_replicas) == (4, 4)


def _rendered(graph: ResourceGraph, kind: str) -> list[ResourceRecord]:
    return [r for r in graph.resources if r.type.startswith("kubernetes:") and r.type.endswith(f":{kind}")]


def _fewest_gpus(demand: int, largest_pod: int, sizes: set[int]) -> int:
    """The fewest node GPUs, from nodes of the given sizes, that hold `demand` GPUs of pods (each pod fits a node)."""
    usable = sorted(size for size in sizes if size >= largest_pod)
    best = [0] + [math.inf] * demand
    for need in range(1, demand + 1):
        best[need] = min(size + best[max(need - size, 0)] for size in usable)
    return int(best[demand])


@pytest.mark.parametrize(("preset", "env"), [case for case in PRESET_ENVS if case[0] not in ("saas", "startup-mvp")])
def test_peak_plus_surge_schedules_within_the_rendered_nodepool_limits(graph_of, preset, env):
    """From the rendered objects alone: every serving Deployment at its ScaledObject's maxReplicaCount plus its
    maxSurge, spread over the zones Karpenter can launch into wherever a spread is DoNotSchedule (never relaxed),
    needs at least this many node GPUs of the NodePool's instance types; the NodePool's limit must allow it."""
    graph = graph_of(preset, env)
    pools = _rendered(graph, "NodePool")
    scaled = {(r.region, r.inputs["spec"]["scaleTargetRef"]["name"]): r.inputs["spec"]["maxReplicaCount"]
              for r in _rendered(graph, "ScaledObject")}
    zones = Counter(r.region for r in graph.of_type("aws:ec2/subnet:Subnet")
                    if "karpenter.sh/discovery" in (r.inputs.get("tags") or {}))
    demand: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for record in _rendered(graph, "Deployment"):
        pod = record.inputs["spec"]["template"]["spec"]
        pool = (pod.get("nodeSelector") or {}).get("blueprints.io/gpu-pool")
        if pool is None:
            continue
        gpus = int(pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"])
        pods = (scaled[(record.region, record.inputs["metadata"]["name"])]
                + record.inputs["spec"]["strategy"]["rollingUpdate"]["maxSurge"])
        hard_zones = any(c["topologyKey"] == "topology.kubernetes.io/zone" and c["whenUnsatisfiable"] == "DoNotSchedule"
                         for c in pod["topologySpreadConstraints"])
        spread = zones[record.region] if hard_zones else 1
        for zone in range(spread):
            demand[(record.region, pool)][zone] += [gpus] * (pods // spread + (zone < pods % spread))
    assert demand, "no GPU Deployment rendered"
    for (region, pool_name), per_zone in demand.items():
        [pool] = [p for p in pools if p.region == region and p.inputs["metadata"]["name"] == pool_name]
        requirement = next(r for r in pool.inputs["spec"]["template"]["spec"]["requirements"]
                           if r["key"] == "node.kubernetes.io/instance-type")
        sizes = {INSTANCES[name].gpus for name in requirement["values"]}
        needed = sum(_fewest_gpus(sum(pods), max(pods), sizes) for pods in per_zone.values() if pods)
        limit = int(pool.inputs["spec"]["limits"]["nvidia.com/gpu"])
        assert needed <= limit, f"{region} {pool_name}: peak + surge needs {needed} GPUs, the NodePool allows {limit}"


def test_both_blue_green_colours_are_priced():
    """corp-small in staging as a blue-green pair (2026-10-01 active, 2026-11-01 standing by), each colour 1-2 pods:
    floor 1 + 1 pods share one zone-a node -> 1 x g6e.12xlarge; peak 2 + 2 pods pair up in zones a and b ->
    2 x g6e.12xlarge, spot."""
    spec = load_spec("internal-ai", "staging", overrides={"serving": {"models": [{}, {"versions": {
        "stable": "2026-10-01", "candidate": "2026-11-01", "strategy": "blue-green", "candidate_weight": 0}}]}})
    [small] = [line for line in gpu_fleet(spec) if line.model == "corp-small"]
    assert (small.min_replicas, small.max_replicas) == (2, 4)
    assert small.floor_usd_per_month == pytest.approx(node_month("g6e.12xlarge", 1, spot=True), abs=0.01)
    assert small.peak_usd_per_month == pytest.approx(node_month("g6e.12xlarge", 2, spot=True), abs=0.01)
