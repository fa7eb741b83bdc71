"""The offline plan: inventory per region, monthly cost estimate and a component diagram, from the resource graph."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from pydantic import BaseModel

from blueprints.bill import SECONDS_PER_MONTH, CostLine, usage_lines
from blueprints.capacity import pack, pool_replicas, resolve_capacity, size_model
from blueprints.catalog.aws_prices import Term, extended_support_days, monthly_price
from blueprints.catalog.hosted import HOSTED_MODELS
from blueprints.catalog.regional_prices import (
    FALLBACK_REGION,
    SNAPSHOT,
    hourly_price,
    staleness_warning,
)
from blueprints.components.budgets import budget_verdict
from blueprints.engine.graph import ResourceGraph, ResourceRecord
from blueprints.gateway.data_plane import data_plane, litellm_sizing
from blueprints.rollout import version_plans
from blueprints.spec import PlatformSpec


class GpuFleetLine(BaseModel):
    model: str
    region: str
    instance_type: str
    """The instance types of the peak's nodes that hold the model's pods, comma-separated."""
    min_replicas: int
    """Pods of every running version together (stable and canary, or both blue-green colours)."""
    max_replicas: int
    floor_usd_per_month: float
    """Cost of the whole nodes the warm minimum takes, running all month."""
    peak_usd_per_month: float
    """Cost if the planner's peak replica count ran all month (the ceiling)."""
    usd_per_1m_output_tokens: float
    hosted_usd_per_month: float | None
    price_region: str
    """Whose prices the nodes are priced at: the region itself, or us-east-1 where the snapshot has none."""


class Plan(BaseModel):
    preset: str
    environment: str
    regions: list[str]
    resources: list[dict[str, Any]]
    summary: dict[str, Any]
    inventory: dict[str, dict[str, dict[str, int]]]
    """region -> component -> resource type -> count."""
    costs: list[CostLine]
    """Fixed lines (resources that bill while they exist) and usage lines (from `spec.usage`)."""
    gpu_fleet: list[GpuFleetLine]
    warnings: list[str]
    """Price fallbacks and a stale price snapshot."""


def component_of(graph: ResourceGraph, record: ResourceRecord, index: dict[str, ResourceRecord]) -> str:
    top = graph.top_component(record, index)
    return top.type.split(":")[-1] if top is not None else "Platform"


def cost_detail(record: ResourceRecord, term: Term) -> str:
    """The resource's name, and for an EKS cluster the extended-support days the estimate includes."""
    if record.type != "aws:eks/cluster:Cluster" or not (days := extended_support_days(record.inputs["version"], term)):
        return record.name
    return (f"{record.name} (Kubernetes {record.inputs['version']} in EKS extended support on {days} of the "
            f"{term.days} days of the plan's lifetime)")


def build_plan(spec: PlatformSpec, graph: ResourceGraph, as_of: date) -> Plan:
    """`as_of`: the day the plan's lifetime (`cluster.lifetime_months`) starts, for prices that change over it."""
    index = graph.by_urn()
    term = Term(start=as_of, months=spec.cluster.lifetime_months)
    custom = [record for record in graph.resources if record.custom]
    inventory: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for record in custom:
        inventory[record.region or "global"][component_of(graph, record, index)][record.type] += 1
    costs = [
        CostLine(region=record.region or "global", item=record.type.split(":")[-1],
                 usd_per_month=price, detail=cost_detail(record, term),
                 source="blueprints/catalog/aws_prices.py (us-east-1 list prices)")
        for record in custom
        if (price := monthly_price(record.type, record.inputs, term, record.region or FALLBACK_REGION))
    ] + usage_lines(spec, graph)
    fleet = gpu_fleet(spec)
    fixed = sum(line.usd_per_month for line in costs if line.kind == "fixed")
    usage = sum(line.usd_per_month for line in costs if line.kind == "usage")
    floor = fixed + usage + sum(line.floor_usd_per_month for line in fleet)
    peak = fixed + usage + sum(line.peak_usd_per_month for line in fleet)
    budget = budget_verdict(round(peak, 2), spec)
    return Plan(
        preset=spec.preset,
        environment=spec.environment,
        regions=spec.regions,
        resources=[
            {"type": r.type, "name": r.name, "urn": r.urn, "parent": r.parent, "region": r.region,
             "component": component_of(graph, r, index)}
            for r in custom
        ],
        summary={
            "resources": len(custom),
            "components": sum(1 for r in graph.resources if not r.custom),
            "by_region": {region: sum(sum(c.values()) for c in comps.values()) for region, comps in inventory.items()},
            "monthly_usd": {
                "fixed": round(fixed, 2),
                "usage": round(usage, 2),
                "gpu_floor": round(sum(line.floor_usd_per_month for line in fleet), 2),
                "gpu_peak": round(sum(line.peak_usd_per_month for line in fleet), 2),
                "total_floor": round(floor, 2),
                "total_peak": round(peak, 2),
            },
            "gateway": litellm_sizing(spec).line(),
            "data_plane": data_plane(spec).line(),
            "budget_usd": spec.budget.monthly_usd,
            "budget": budget.message,
            "prices_as_of": SNAPSHOT.as_of_for(spec.regions).isoformat(),
        },
        inventory={region: {comp: dict(types) for comp, types in comps.items()} for region, comps in inventory.items()},
        costs=costs,
        gpu_fleet=fleet,
        warnings=price_warnings(spec, fleet, as_of) + ([budget.over_budget_warning] if budget.status == "over" else []),
    )


def price_warnings(spec: PlatformSpec, fleet: list[GpuFleetLine], as_of: date) -> list[str]:
    """Regions the price snapshot has no EC2 prices for (their instances are priced at us-east-1), GPU types a
    priced region has no price for, and a stale snapshot."""
    unpriced = [region for region in spec.regions if region != FALLBACK_REGION
                and not (region in SNAPSHOT.regions and SNAPSHOT.regions[region].prices)]
    warnings = [f"no EC2 prices for {region} in the price snapshot (`make prices` fetches them): its instances are "
                f"priced at {FALLBACK_REGION}" for region in unpriced]
    # An instance type the snapshot marks not offered never gets here: spec validation refuses a pool that needs one.
    warnings += sorted({f"no {line.instance_type} price for {line.region} in the price snapshot: {line.model} is "
                        f"priced at {line.price_region}" for line in fleet
                        if line.price_region != line.region and line.region not in unpriced})
    stale = staleness_warning(as_of, regions=spec.regions)
    return warnings + ([stale] if stale else [])


def gpu_fleet(spec: PlatformSpec) -> list[GpuFleetLine]:
    """GPU cost per model and region: whole nodes, as the pool's replicas (every running version's Deployment)
    pack onto them under the Deployments' spread rules; a node shared by models is split by the GPUs each takes.
    Every region runs the same fleet."""
    lines = []
    for model in spec.self_hosted_models:
        sizing = size_model(spec, model)
        pool = spec.pool(model.gpu_pool or "")
        floor, peak = (pack(spec, pool, pool_replicas(spec, pool, bound)) for bound in ("floor", "peak"))
        plans = version_plans(spec, model)
        instance_types = sorted({node.instance.name for node in peak.nodes if any(p[0] == model.name
                                                                                    for p in node.pods)})
        for region in spec.regions:
            lines.append(GpuFleetLine(
                model=model.name, region=region, instance_type=", ".join(instance_types),
                min_replicas=sum(plan.min_replicas for plan in plans),
                max_replicas=sum(plan.max_replicas for plan in plans),
                floor_usd_per_month=round(floor.usd_per_month(model.name, region), 2),
                peak_usd_per_month=round(peak.usd_per_month(model.name, region), 2),
                usd_per_1m_output_tokens=sizing.usd_per_1m_output_tokens,
                hosted_usd_per_month=sizing.hosted_usd_per_month,
                price_region=next((used for node in peak.nodes if (used := hourly_price(
                    region, node.instance.name, peak.capacity_type).region) != region), region),
            ))
    return lines

def mermaid(graph: ResourceGraph) -> str:
    """A flowchart of regions and their components, with how many resources each holds."""
    index = graph.by_urn()
    counts: Counter = Counter()
    for record in graph.resources:
        if record.custom and not record.type.startswith("pulumi:providers:"):
            counts[(record.region or "global", component_of(graph, record, index))] += 1
    lines = ["flowchart LR", '  client(["Clients"])']
    for region in sorted({region for region, _ in counts}):
        node = region.replace("-", "_")
        lines.append(f'  subgraph {node}["{region}"]')
        for (r, component), count in sorted(counts.items()):
            if r == region:
                lines.append(f'    {node}_{component}["{component}<br/>{count} resources"]')
        lines.append("  end")
        for source, target in _EDGES:
            if (region, source) in counts and (region, target) in counts:
                lines.append(f"  {node}_{source} --> {node}_{target}")
        entry = next((c for c in _ENTRY_POINTS if (region, c) in counts), None)
        if entry:
            lines.append(f"  client --> {node}_{entry}")
    return "\n".join(lines)


# How requests and dependencies flow between components, for the diagram (only edges whose ends exist are drawn).
_ENTRY_POINTS = ("Gateway", "GatewayFargate", "Cluster")
_EDGES = (
    ("Gateway", "ResponseCache"), ("Gateway", "ModelServing"), ("Gateway", "Retrieval"),
    ("ModelServing", "ModelArtifacts"), ("Cluster", "Network"), ("Karpenter", "Cluster"),
    ("ModelServing", "Karpenter"), ("Observability", "ModelServing"), ("Observability", "Gateway"),
    ("BatchTier", "Gateway"), ("Gateway", "Audit"), ("Retrieval", "Secrets"), ("Gateway", "Secrets"),
    ("GatewayFargate", "SmallNetwork"),
)


class CostDelta(BaseModel):
    """One bill line of two plans side by side (0 where a plan has no such line)."""

    region: str
    kind: str
    """fixed, usage, gpu floor or gpu peak."""
    item: str
    a_usd_per_month: float
    b_usd_per_month: float

    @property
    def delta(self) -> float:
        return round(self.b_usd_per_month - self.a_usd_per_month, 2)


def bill_lines(plan: Plan) -> dict[tuple[str, str, str], float]:
    """(region, kind, item) -> USD per month, lines of one item summed (e.g. three NAT gateways)."""
    totals: dict[tuple[str, str, str], float] = defaultdict(float)
    for line in plan.costs:
        totals[(line.region, line.kind, line.item)] += line.usd_per_month
    for gpu in plan.gpu_fleet:
        totals[(gpu.region, "gpu floor", gpu.model)] += gpu.floor_usd_per_month
        totals[(gpu.region, "gpu peak", gpu.model)] += gpu.peak_usd_per_month
    return totals


def compare(a: Plan, b: Plan) -> list[CostDelta]:
    """Every bill line of either plan with its cost in each, the plans' order of lines kept (regions, kinds)."""
    lines_a, lines_b = bill_lines(a), bill_lines(b)
    return [CostDelta(region=region, kind=kind, item=item, a_usd_per_month=round(lines_a.get(key, 0.0), 2),
                      b_usd_per_month=round(lines_b.get(key, 0.0), 2))
            for key in sorted(set(lines_a) | set(lines_b)) for region, kind, item in [key]]


BREAK_EVEN_VOLUMES = tuple(int(mantissa * 10 ** exponent) for exponent in range(8, 12) for mantissa in (1, 2, 5))
"""Monthly output-token volumes the break-even curve is drawn at: 100M to 500B."""


class BreakEvenPoint(BaseModel):
    output_tokens_per_month: int
    self_hosted_usd: float
    """Whole GPU nodes the planner needs for this volume at its peak (mean load `usage.mean_load_of_peak`)."""
    hosted_usd: float


class BreakEven(BaseModel):
    model: str
    hosted: str
    points: list[BreakEvenPoint]
    break_even_output_tokens_per_month: int | None
    """The smallest volume of the curve from which self-hosting stays cheaper; None if it never is."""


def self_hosted_at(spec: PlatformSpec, model_name: str, output_tokens_per_month: float) -> float:
    """GPU cost (whole nodes, first region's prices) of serving `model_name` at a monthly output-token volume: its
    peak rate is the volume / (output tokens per request x mean load x seconds per month); the planner sizes the
    replicas and the nodes are packed as the plan's peak."""
    model = next(m for m in spec.serving.models if m.name == model_name)
    rate = output_tokens_per_month / (model.traffic.output_tokens * spec.usage.mean_load_of_peak * SECONDS_PER_MONTH)
    scaled = spec.model_copy(deep=True)
    scaled.serving.models = [m.model_copy(update={"traffic": m.traffic.model_copy(update={"requests_per_second": rate}),
                                                  "max_replicas": None}) if m.name == model_name else m
                             for m in spec.serving.models]
    scaled = resolve_capacity(scaled)
    pool = scaled.pool(model.gpu_pool or "")
    return pack(scaled, pool, pool_replicas(scaled, pool, "peak")).usd_per_month(model_name, spec.regions[0])


def break_even(spec: PlatformSpec) -> list[BreakEven]:
    """Per self-hosted model with a hosted twin (the same architecture on Bedrock): self-hosted GPU cost against
    the hosted token bill over `BREAK_EVEN_VOLUMES`, at the model's own input:output ratio."""
    curves = []
    for model in spec.self_hosted_models:
        hosted = HOSTED_MODELS.get(model.model)
        if hosted is None:
            continue
        ratio = model.traffic.input_tokens / model.traffic.output_tokens
        points = [BreakEvenPoint(output_tokens_per_month=volume,
                                 self_hosted_usd=round(self_hosted_at(spec, model.name, volume), 2),
                                 hosted_usd=round(hosted.usd_for(volume * ratio, volume), 2))
                  for volume in BREAK_EVEN_VOLUMES]
        cheaper = [p.self_hosted_usd < p.hosted_usd for p in points]
        first = next((i for i in range(len(points)) if all(cheaper[i:])), None)
        curves.append(BreakEven(model=model.name, hosted=hosted.name, points=points,
                                break_even_output_tokens_per_month=None if first is None
                                else points[first].output_tokens_per_month))
    return curves


def _tokens(volume: int) -> str:
    return f"{volume / 1e9:g}B" if volume >= 1e9 else f"{volume / 1e6:g}M"


def break_even_chart(curve: BreakEven) -> str:
    """A Mermaid xychart: USD per month against monthly output tokens, self-hosted (first line) and hosted."""
    top = max(max(p.self_hosted_usd, p.hosted_usd) for p in curve.points)
    return "\n".join([
        "xychart-beta",
        f'  title "{curve.model}: self-hosted vs {curve.hosted} (USD/month)"',
        f'  x-axis "output tokens per month" [{", ".join(_tokens(p.output_tokens_per_month) for p in curve.points)}]',
        f'  y-axis "USD per month" 0 --> {top * 1.05:.0f}',
        f"  line [{', '.join(f'{p.self_hosted_usd:.0f}' for p in curve.points)}]",
        f"  line [{', '.join(f'{p.hosted_usd:.0f}' for p in curve.points)}]",
    ])
