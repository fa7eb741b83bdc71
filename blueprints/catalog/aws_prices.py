"""Monthly prices of the billable AWS resources the platform creates, by Pulumi type token.

On-demand list prices, us-east-1, from the AWS pricing pages, read 2026-10. Usage-based charges (data processed,
requests, storage growth) are not included: the plan estimates the fixed monthly floor, and the GPU fleet from the
capacity planner. Each entry is a function of the resource's wire-form inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from blueprints.catalog.instances import HOURS_PER_MONTH
from blueprints.catalog.regional_prices import FALLBACK_REGION, hourly_price
from blueprints.versions import EKS_VERSIONS

Inputs = dict[str, Any]


def _hourly(usd_per_hour: float) -> Callable[[Inputs], float]:
    return lambda _inputs: usd_per_hour * HOURS_PER_MONTH


def _monthly(usd_per_month: float) -> Callable[[Inputs], float]:
    return lambda _inputs: usd_per_month


def _node_group(inputs: Inputs, region: str) -> float:
    """Managed node group at its minimum size (the floor; the cluster autoscales above it)."""
    hourly = hourly_price(region, inputs["instanceTypes"][0], "on-demand").usd_per_hour
    return hourly * inputs["scalingConfig"]["minSize"] * HOURS_PER_MONTH


def _capacity_reservation(inputs: Inputs, region: str) -> float:
    """docs.aws.amazon.com/AWSEC2/latest/UserGuide/capacity-reservations-pricing-billing.html: a Capacity
    Reservation is billed at the on-demand rate for every reserved instance, running or not."""
    return hourly_price(region, inputs["instanceType"], "on-demand").usd_per_hour * inputs["instanceCount"] * (
        HOURS_PER_MONTH)


def _interface_endpoint(inputs: Inputs) -> float:
    """$0.01 per hour per AZ (one ENI per subnet); gateway endpoints (S3) are free."""
    if inputs.get("vpcEndpointType") != "Interface":
        return 0.0
    return 0.01 * len(inputs.get("subnetIds", [])) * HOURS_PER_MONTH


def _firewall(inputs: Inputs) -> float:
    """AWS Network Firewall: $0.395 per endpoint-hour, one endpoint per mapped subnet (AZ); traffic processed
    ($0.065/GB) is usage. The NAT gateway hours this offsets (the pricing page waives one NAT hour and GB per
    firewall endpoint hour and GB) are left in, so the estimate errs high."""
    return 0.395 * len(inputs.get("subnetMappings", [])) * HOURS_PER_MONTH


VALKEY_NODE_USD_PER_HOUR = {
    "cache.t4g.micro": 0.0128, "cache.t4g.small": 0.0256, "cache.t4g.medium": 0.0520,
    "cache.m7g.large": 0.1264, "cache.m7g.xlarge": 0.2528, "cache.r7g.large": 0.1752, "cache.r7g.xlarge": 0.3504,
}
"""ElastiCache for Valkey, us-east-1 on-demand (20% below Redis OSS node prices), read 2026-10."""


def _valkey_group(inputs: Inputs) -> float:
    nodes = inputs.get("numCacheClusters", 1)
    return VALKEY_NODE_USD_PER_HOUR[inputs["nodeType"]] * nodes * HOURS_PER_MONTH


CAPACITY_BLOCK_INSTANCE_TYPES = ("p6-b200.48xlarge", "p5.48xlarge", "p5e.48xlarge", "p5en.48xlarge", "p4d.24xlarge",
                                 "p4de.24xlarge")
"""GPU instance types EC2 Capacity Blocks for ML sell (docs.aws.amazon.com/AWSEC2/latest/UserGuide/
capacity-blocks-how.html, read 2026-12: p6-b200, p5, p5e, p5en, p4d, p4de, and Trainium, which has no GPU)."""
CAPACITY_BLOCK_INSTANCE_COUNTS = (1, 2, 4, 8, 16, 32, 64)
"""Instances per block, and durations of 1-14 days or whole weeks up to 182 days (capacity-blocks-purchase.html)."""
CAPACITY_BLOCK_MAX_DAYS = 182

PRICES_AS_OF = date(2026, 12, 4)
"""The day the EKS prices and release calendar were last read: the generated docs price a plan starting then."""

EKS_USD_PER_CLUSTER_HOUR = {"standard": 0.10, "extended": 0.60}
"""aws.amazon.com/eks/pricing: $0.10 per cluster-hour while the Kubernetes version is in standard support, $0.60
in extended support (read 2026-12)."""

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Term:
    """The span a monthly price is averaged over: `months` from `start` (the plan's lifetime)."""

    start: date
    months: int

    @property
    def days(self) -> int:
        return round(self.months * DAYS_PER_MONTH)

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days)


def extended_support_days(version: str, term: Term) -> int:
    """Days of `term` on which EKS bills `version` at the extended-support rate (from 00:00 UTC of its end of
    standard support until its end of extended support, when EKS upgrades the control plane itself)."""
    support = EKS_VERSIONS[version]
    first = max(term.start, support.standard_support_ends)
    last = min(term.end, support.extended_support_ends)
    return max((last - first).days, 0)


def eks_cluster_monthly(version: str, term: Term) -> float:
    """Average monthly control-plane price over `term`: extended-support days at the extended rate."""
    extended = extended_support_days(version, term) / term.days
    rate = EKS_USD_PER_CLUSTER_HOUR
    return (rate["standard"] * (1 - extended) + rate["extended"] * extended) * HOURS_PER_MONTH


TERM_PRICES: dict[str, Callable[[Inputs, Term], float]] = {
    "aws:eks/cluster:Cluster": lambda inputs, term: eks_cluster_monthly(inputs["version"], term),
}
"""Resources whose price changes over the plan's lifetime."""

REGIONAL_PRICES: dict[str, Callable[[Inputs, str], float]] = {
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:ec2/capacityReservation:CapacityReservation": _capacity_reservation,
}
"""EC2 instances, priced from the regional snapshot (regional_prices.json)."""

PRICES: dict[str, Callable[[Inputs], float]] = {
    # aws.amazon.com/vpc/pricing: NAT gateway $0.045/h; public IPv4 address $0.005/h.
    "aws:ec2/natGateway:NatGateway": _hourly(0.045),
    "aws:ec2/eip:Eip": _hourly(0.005),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _interface_endpoint,
    # aws.amazon.com/network-firewall/pricing: endpoint-hours.
    "aws:networkfirewall/firewall:Firewall": _firewall,
    # aws.amazon.com/kms/pricing: $1 per customer-managed key per month.
    "aws:kms/key:Key": _monthly(1.0),
    # aws.amazon.com/secrets-manager/pricing: $0.40 per secret per month.
    "aws:secretsmanager/secret:Secret": _monthly(0.40),
    # aws.amazon.com/elasticloadbalancing/pricing: ALB $0.0225/h plus LCUs (usage, not included).
    "aws:lb/loadBalancer:LoadBalancer": _hourly(0.0225),
    # aws.amazon.com/elasticache/pricing: Valkey on-demand node-hours (primary + replicas); storage of snapshots
    # beyond one free copy is usage.
    "aws:elasticache/replicationGroup:ReplicationGroup": _valkey_group,
    # aws.amazon.com/waf/pricing: $5 per web ACL per month (+ $1 per rule, + requests).
    "aws:wafv2/webAcl:WebAcl": lambda inputs: 5.0 + len(inputs.get("rules", [])),
    # aws.amazon.com/route53/pricing: $0.50 per hosted zone, $0.50 per AWS-endpoint health check (HTTPS +$1).
    "aws:route53/zone:Zone": _monthly(0.50),
    "aws:route53/healthCheck:HealthCheck": _monthly(1.50),
    # aws.amazon.com/rds/aurora/pricing: Serverless v2 $0.12 per ACU-hour; the floor is min ACUs of the writer
    # (each reader instance adds the same floor; storage and I/O are usage).
    "aws:rds/cluster:Cluster": lambda inputs: 0.12 * inputs.get("serverlessv2ScalingConfiguration", {}).get(
        "minCapacity", 0) * HOURS_PER_MONTH,
    # aws.amazon.com/opensearch-service/pricing: Serverless $0.24 per OCU-hour; the floor is 1 OCU (0.5 indexing
    # + 0.5 search) without standby replicas, 2 OCUs with them.
    "aws:opensearch/serverlessCollection:ServerlessCollection": lambda inputs: 0.24 * HOURS_PER_MONTH * (
        2 if inputs.get("standbyReplicas") == "ENABLED" else 1),
    # aws.amazon.com/cloudtrail/pricing: the first copy of management events is free.
    "aws:cloudtrail/trail:Trail": _monthly(0.0),
}


def monthly_price(resource_type: str, inputs: Inputs, term: Term, region: str = FALLBACK_REGION) -> float | None:
    """USD per month for one resource in `region` averaged over `term`, or None when the type has no fixed monthly
    price in the catalog."""
    if resource_type in TERM_PRICES:
        return round(TERM_PRICES[resource_type](inputs, term), 2)
    if resource_type in REGIONAL_PRICES:
        return round(REGIONAL_PRICES[resource_type](inputs, region), 2)
    price = PRICES.get(resource_type)
    return None if price is None else round(price(inputs), 2)


@dataclass(frozen=True)
class UnitPrice:
    """A usage price: USD per `unit`, and the pricing page it was read from (us-east-1, read 2026-12)."""

    usd: float
    unit: str
    source: str


NAT_DATA_PROCESSED = UnitPrice(0.045, "GB", "aws.amazon.com/vpc/pricing (NAT gateway data processed)")
ENDPOINT_DATA_PROCESSED = UnitPrice(0.01, "GB", "aws.amazon.com/privatelink/pricing (interface endpoint, first PB)")
ALB_LCU = UnitPrice(0.008, "LCU-hour", "aws.amazon.com/elasticloadbalancing/pricing (ALB: 25 new connections/s, "
                    "3,000 active connections/min, 1 GB/h processed or 1,000 rule evaluations/s per LCU)")
NLB_NLCU = UnitPrice(0.006, "NLCU-hour", "aws.amazon.com/elasticloadbalancing/pricing (NLB TCP: 800 new flows/s, "
                     "100,000 active flows or 1 GB/h per NLCU)")
LOGS_INGESTED = UnitPrice(0.50, "GB", "aws.amazon.com/cloudwatch/pricing (Logs, standard class, collect)")
LOGS_STORED = UnitPrice(0.03, "GB-month", "aws.amazon.com/cloudwatch/pricing (Logs, store/archive)")
INTER_AZ = UnitPrice(0.02, "GB", "aws.amazon.com/ec2/pricing/on-demand (data transfer between AZs: $0.01/GB out "
                     "of one AZ and $0.01/GB into the other)")
INTER_REGION = UnitPrice(0.02, "GB", "aws.amazon.com/s3/pricing (replication: data transfer out to another "
                         "AWS Region from US East)")
KMS_REQUESTS = UnitPrice(0.03, "10,000 requests", "aws.amazon.com/kms/pricing (symmetric requests; 20,000 "
                         "requests/month free per account)")
KMS_FREE_REQUESTS = 20_000
SECRETS_API_CALLS = UnitPrice(0.05, "10,000 API calls", "aws.amazon.com/secrets-manager/pricing")
FARGATE_VCPU = UnitPrice(0.04048, "vCPU-hour", "aws.amazon.com/fargate/pricing (Linux/x86, us-east-1)")
FARGATE_GB = UnitPrice(0.004445, "GB-hour", "aws.amazon.com/fargate/pricing (Linux/x86, us-east-1)")
