"""The lines of the bill that depend on traffic, not on what exists: hosted-model tokens, NAT and endpoint data
processing, load-balancer capacity units, CloudWatch Logs, inter-AZ and cross-region transfer, KMS and Secrets
Manager requests; ECS Fargate tasks (vCPU and memory hours of each service's task definition); and EC2 Capacity
Blocks (bought upfront for a number of days).

Volumes come from each model's `traffic` (its stated peak) at `usage.mean_load_of_peak`, spread evenly over the
platform's regions. Unit prices and their sources are in blueprints/catalog/aws_prices.py (us-east-1).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from blueprints.catalog import aws_prices as p
from blueprints.catalog.instances import HOURS_PER_MONTH
from blueprints.catalog.models import MODELS, weight_bytes
from blueprints.catalog.providers import priced_model
from blueprints.conventions import POOL_LABEL
from blueprints.engine.graph import ResourceGraph, ResourceRecord
from blueprints.spec import PlatformSpec

GB = 1e9
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
DAYS_PER_MONTH = 365.25 / 12


class CostLine(BaseModel):
    region: str
    item: str
    usd_per_month: float
    detail: str
    kind: Literal["fixed", "usage"] = "fixed"
    """`fixed`: billed while the resource exists; `usage`: follows the traffic assumptions (`spec.usage`)."""
    source: str = ""
    """Where the unit price comes from (usage lines and priced tasks)."""


@dataclass(frozen=True)
class RegionalTraffic:
    """One region's share of a month's requests and bytes, as the gateway sees them and as they reach models."""

    gateway_requests: float
    gateway_bytes: float
    hosted: dict[tuple[str, str], tuple[float, int, int]]
    """(hosting, catalog name) -> (requests reaching it a month, input tokens, output tokens per request)."""
    hosted_bytes: float
    """To and from Bedrock."""
    self_hosted_bytes: float
    provider_bytes: float = 0.0
    """To and from the other hosted providers (over the internet: through NAT, never a VPC endpoint)."""


def regional_traffic(spec: PlatformSpec) -> RegionalTraffic:
    usage = spec.usage
    share = usage.mean_load_of_peak * SECONDS_PER_MONTH / len(spec.regions)
    miss = 1 - usage.cache_hit_rate if spec.cache.enabled else 1.0
    hosted: dict[tuple[str, str], tuple[float, int, int]] = {}
    gateway_requests = gateway_bytes = hosted_bytes = self_bytes = provider_bytes = 0.0
    for model in spec.serving.models:
        requests = model.traffic.requests_per_second * share
        size = (model.traffic.input_tokens + model.traffic.output_tokens) * usage.bytes_per_token
        gateway_requests += requests
        gateway_bytes += requests * size
        if model.hosting == "self-hosted":
            self_bytes += requests * miss * size
        else:
            key = (model.hosting, model.model)
            previous = hosted.get(key, (0.0, 0, 0))[0]
            hosted[key] = (previous + requests * miss, model.traffic.input_tokens, model.traffic.output_tokens)
            if model.hosting == "bedrock":
                hosted_bytes += requests * miss * size
            else:
                provider_bytes += requests * miss * size
    return RegionalTraffic(gateway_requests, gateway_bytes, hosted, hosted_bytes, self_bytes, provider_bytes)


def usage_lines(spec: PlatformSpec, graph: ResourceGraph) -> list[CostLine]:
    """Every usage line of every region, and the Fargate task lines."""
    traffic = regional_traffic(spec)
    lines: list[CostLine] = []
    for region in spec.regions:
        records = [r for r in graph.resources if r.custom and r.region == region]
        lines += _hosted_tokens(region, traffic)
        lines += _egress_processing(region, records, traffic)
        lines += _load_balancer_units(region, records, traffic)
        lines += _logs(spec, region, traffic)
        lines += _inter_az(spec, region, traffic)
        lines += _secrets_requests(region, records)
        lines += _fargate(region, records)
        lines += _capacity_blocks(spec, region, records)
    lines += _replication(spec, graph)
    return [line for line in lines if line.usd_per_month > 0]


def _usage(region: str, item: str, usd: float, detail: str, *prices: p.UnitPrice) -> CostLine:
    return CostLine(region=region, item=item, usd_per_month=round(usd, 2), detail=detail, kind="usage",
                    source="; ".join(f"${price.usd}/{price.unit}: {price.source}" for price in prices))


def _hosted_tokens(region: str, traffic: RegionalTraffic) -> Iterator[CostLine]:
    for (hosting, name), (requests, isl, osl) in sorted(traffic.hosted.items()):
        model = priced_model(hosting, name)
        where = "" if hosting == "bedrock" else f" ({hosting})"
        yield CostLine(
            region=region, item=f"hosted tokens {name}{where}",
            usd_per_month=round(requests * model.usd_for(isl, osl), 2),
            kind="usage", source=f"${model.usd_per_1m_input}/1M input, ${model.usd_per_1m_output}/1M output tokens: "
                                 f"{model.source}",
            detail=f"{requests:,.0f} requests x ({isl} in + {osl} out) tokens")


def _has_endpoint(records: list[ResourceRecord], service: str) -> bool:
    return any(r.type == "aws:ec2/vpcEndpoint:VpcEndpoint" and str(r.inputs.get("serviceName", "")).endswith(
        f".{service}") for r in records)


def _egress_processing(region: str, records: list[ResourceRecord], traffic: RegionalTraffic) -> Iterator[CostLine]:
    """Bedrock calls leave the VPC through the bedrock-runtime interface endpoint when there is one, else through
    the NAT gateways, like every call to another hosted provider (a region without NAT sends them from public
    subnets: no processing charge)."""
    through_nat = traffic.provider_bytes / GB
    if _has_endpoint(records, "bedrock-runtime"):
        volume = traffic.hosted_bytes / GB
        yield _usage(region, "interface endpoint data processed", volume * p.ENDPOINT_DATA_PROCESSED.usd,
                     f"{volume:,.1f} GB of hosted-model calls through the bedrock-runtime endpoint",
                     p.ENDPOINT_DATA_PROCESSED)
    else:
        through_nat += traffic.hosted_bytes / GB
    if any(r.type == "aws:ec2/natGateway:NatGateway" for r in records):
        yield _usage(region, "NAT gateway data processed", through_nat * p.NAT_DATA_PROCESSED.usd,
                     f"{through_nat:,.1f} GB of hosted-model calls through NAT", p.NAT_DATA_PROCESSED)


def _load_balancer_units(region: str, records: list[ResourceRecord], traffic: RegionalTraffic
                         ) -> Iterator[CostLine]:
    """The gateway's traffic on the region's load balancer(s), split evenly: capacity units are the largest of
    new connections (one per request, no keep-alive: errs high) and bytes processed, per hour."""
    balancers = [r for r in records if r.type == "aws:lb/loadBalancer:LoadBalancer"]
    for record in balancers:
        per_second = traffic.gateway_requests / len(balancers) / SECONDS_PER_MONTH
        gb_per_hour = traffic.gateway_bytes / len(balancers) / GB / HOURS_PER_MONTH
        if record.inputs.get("loadBalancerType", "application") == "network":
            units, price = max(per_second / 800, gb_per_hour), p.NLB_NLCU
        else:
            units, price = max(per_second / 25, gb_per_hour), p.ALB_LCU
        kind = "NLB" if price is p.NLB_NLCU else "ALB"
        yield _usage(region, f"{kind} {price.unit.removesuffix('-hour')}", units * price.usd * HOURS_PER_MONTH,
                     f"{record.name}: {units:.3f} units, {per_second:.2f} new connections/s, {gb_per_hour:.4f} GB/h",
                     price)


def _logs(spec: PlatformSpec, region: str, traffic: RegionalTraffic) -> Iterator[CostLine]:
    """Ingestion of the requests' log lines, and the steady-state store they fill over the retention period."""
    ingested = traffic.gateway_requests * spec.usage.log_bytes_per_request / GB
    stored = ingested * spec.observability.log_retention_days / DAYS_PER_MONTH
    yield _usage(region, "CloudWatch Logs", ingested * p.LOGS_INGESTED.usd + stored * p.LOGS_STORED.usd,
                 f"{ingested:,.1f} GB/month ingested, {stored:,.1f} GB stored "
                 f"({spec.observability.log_retention_days}-day retention)", p.LOGS_INGESTED, p.LOGS_STORED)


def _inter_az(spec: PlatformSpec, region: str, traffic: RegionalTraffic) -> Iterator[CostLine]:
    """Load balancer -> gateway, and gateway -> self-hosted model pods: with targets in every zone, (zones - 1) /
    zones of each hop crosses a zone boundary."""
    zones = spec.network.availability_zones
    crossing = (traffic.gateway_bytes + traffic.self_hosted_bytes) * (zones - 1) / zones / GB
    yield _usage(region, "inter-AZ transfer", crossing * p.INTER_AZ.usd,
                 f"{crossing:,.1f} GB crossing zones ({zones} zones)", p.INTER_AZ)


_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def _seconds(duration: str) -> int:
    """A Go duration as External Secrets reads `refreshInterval`: `1h`, `30m`, `1h30m`, `90s`."""
    hours, minutes, seconds = (int(part or 0) for part in _DURATION.fullmatch(duration).groups())  # type: ignore[union-attr]
    return hours * 3600 + minutes * 60 + seconds


def _secrets_requests(region: str, records: list[ResourceRecord]) -> Iterator[CostLine]:
    """External Secrets reads every ExternalSecret's remote secrets each `refreshInterval`: one Secrets Manager
    GetSecretValue and one KMS Decrypt per remote key (the KMS free tier is the account's, taken once)."""
    calls = 0.0
    for record in records:
        if not record.type.endswith(":ExternalSecret"):
            continue
        spec = record.inputs.get("spec", {})
        interval = _seconds(spec.get("refreshInterval", "1h"))
        if interval:
            keys = {item["remoteRef"]["key"] for item in spec.get("data", [])} or {"dataFrom"}
            calls += len(keys) * SECONDS_PER_MONTH / interval
    if calls:
        yield _usage(region, "Secrets Manager API calls", calls / 10_000 * p.SECRETS_API_CALLS.usd,
                     f"{calls:,.0f} GetSecretValue/month", p.SECRETS_API_CALLS)
        yield _usage(region, "KMS requests", max(calls - p.KMS_FREE_REQUESTS, 0) / 10_000 * p.KMS_REQUESTS.usd,
                     f"{calls:,.0f} Decrypt/month", p.KMS_REQUESTS)


def _fargate(region: str, records: list[ResourceRecord]) -> Iterator[CostLine]:
    """Each ECS Fargate service: desired tasks x (vCPU + memory) of its task definition, all month."""
    definitions = {r.outputs.get("arn"): r for r in records if r.type == "aws:ecs/taskDefinition:TaskDefinition"}
    for service in records:
        if service.type != "aws:ecs/service:Service" or service.inputs.get("launchType", "FARGATE") != "FARGATE":
            continue
        definition = definitions.get(service.inputs.get("taskDefinition"))
        if definition is None:
            continue
        tasks = int(service.inputs.get("desiredCount", 1))
        vcpu, memory_gb = int(definition.inputs["cpu"]) / 1024, int(definition.inputs["memory"]) / 1024
        hourly = vcpu * p.FARGATE_VCPU.usd + memory_gb * p.FARGATE_GB.usd
        yield CostLine(region=region, item="Fargate", usd_per_month=round(tasks * hourly * HOURS_PER_MONTH, 2),
                       detail=f"{service.name}: {tasks} tasks x ({vcpu:g} vCPU + {memory_gb:g} GB)",
                       source=f"${p.FARGATE_VCPU.usd}/{p.FARGATE_VCPU.unit}, ${p.FARGATE_GB.usd}/{p.FARGATE_GB.unit}: "
                              f"{p.FARGATE_VCPU.source}")


def _capacity_blocks(spec: PlatformSpec, region: str, records: list[ResourceRecord]) -> Iterator[CostLine]:
    """Each EC2 Capacity Block the platform buys: its offering's rate x instances x the hours of the block that
    fall in a month (the whole fee is charged upfront, once; a block of over a month is spread over its months).
    Plain Linux adds no operating-system fee (aws.amazon.com/ec2/capacityblocks/pricing)."""
    for record in records:
        if record.type != "aws:ec2/capacityBlockReservation:CapacityBlockReservation":
            continue
        pool = spec.pool(record.inputs["tags"][POOL_LABEL])
        block = pool.reservation
        if block is None or block.usd_per_instance_hour is None or block.duration_days is None:
            continue
        hours = block.duration_days * 24
        fee = block.usd_per_instance_hour * block.block_instances * hours
        yield CostLine(
            region=region, item=f"Capacity Block {pool.name}",
            usd_per_month=round(fee * min(1.0, HOURS_PER_MONTH / hours), 2),
            detail=f"{block.block_instances} x {block.instance_type} for {block.duration_days} days from "
                   f"{block.start_date} at ${block.usd_per_instance_hour:g}/instance-hour: ${fee:,.2f} upfront",
            source="the offering's price (cluster.gpu_pools[].reservation.usd_per_instance_hour)")


def _replication(spec: PlatformSpec, graph: ResourceGraph) -> Iterator[CostLine]:
    """Each published checkpoint replicated from the primary region's artifacts bucket to every other region."""
    if not any(r.type == "aws:s3/bucketReplicationConfig:BucketReplicationConfig" for r in graph.resources):
        return
    primary, others = spec.regions[0], len(spec.regions) - 1
    for model in spec.self_hosted_models:
        size = weight_bytes(MODELS[model.model], model.precision) / GB
        volume = size * spec.usage.model_publishes_per_month * others
        yield _usage(primary, f"cross-region replication {model.name}", volume * p.INTER_REGION.usd,
                     f"{spec.usage.model_publishes_per_month:g} checkpoint(s)/month x {size:,.1f} GB to {others} "
                     f"region(s)", p.INTER_REGION)
