"""Monthly prices of the billable AWS resources the platform creates, by Pulumi type token.

On-demand list prices, us-east-1, from the AWS pricing pages, read 2026-10. Usage-based charges (data processed,
requests, storage growth) are not included: the plan estimates the fixed monthly floor, and the GPU fleet from the
capacity planner. Each entry is a function of the resource's wire-form inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from blueprints.catalog.instances import HOURS_PER_MONTH, INSTANCES

Inputs = dict[str, Any]


def _hourly(usd_per_hour: float) -> Callable[[Inputs], float]:
    return lambda _inputs: usd_per_hour * HOURS_PER_MONTH


def _monthly(usd_per_month: float) -> Callable[[Inputs], float]:
    return lambda _inputs: usd_per_month


def _node_group(inputs: Inputs) -> float:
    """Managed node group at its minimum size (the floor; the cluster autoscales above it)."""
    instance = INSTANCES[inputs["instanceTypes"][0]]
    return instance.usd_per_hour * inputs["scalingConfig"]["minSize"] * HOURS_PER_MONTH


def _interface_endpoint(inputs: Inputs) -> float:
    """$0.01 per hour per AZ (one ENI per subnet); gateway endpoints (S3) are free."""
    if inputs.get("vpcEndpointType") != "Interface":
        return 0.0
    return 0.01 * len(inputs.get("subnetIds", [])) * HOURS_PER_MONTH


VALKEY_NODE_USD_PER_HOUR = {
    "cache.t4g.micro": 0.0128, "cache.t4g.small": 0.0256, "cache.t4g.medium": 0.0520,
    "cache.m7g.large": 0.1264, "cache.m7g.xlarge": 0.2528, "cache.r7g.large": 0.1752, "cache.r7g.xlarge": 0.3504,
}
"""ElastiCache for Valkey, us-east-1 on-demand (20% below Redis OSS node prices), read 2026-10."""


def _valkey_group(inputs: Inputs) -> float:
    nodes = inputs.get("numCacheClusters", 1)
    return VALKEY_NODE_USD_PER_HOUR[inputs["nodeType"]] * nodes * HOURS_PER_MONTH


PRICES: dict[str, Callable[[Inputs], float]] = {
    # aws.amazon.com/eks/pricing: $0.10 per cluster-hour (standard support).
    "aws:eks/cluster:Cluster": _hourly(0.10),
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    # aws.amazon.com/vpc/pricing: NAT gateway $0.045/h; public IPv4 address $0.005/h.
    "aws:ec2/natGateway:NatGateway": _hourly(0.045),
    "aws:ec2/eip:Eip": _hourly(0.005),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _interface_endpoint,
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


def monthly_price(resource_type: str, inputs: Inputs) -> float | None:
    """USD per month for one resource, or None when the type has no fixed monthly price in the catalog."""
    price = PRICES.get(resource_type)
    return None if price is None else round(price(inputs), 2)
