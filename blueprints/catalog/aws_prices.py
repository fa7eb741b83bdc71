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
    # aws.amazon.com/waf/pricing: $5 per web ACL per month (+ $1 per rule, + requests).
    "aws:wafv2/webAcl:WebAcl": lambda inputs: 5.0 + len(inputs.get("rules", [])),
    # aws.amazon.com/route53/pricing: $0.50 per hosted zone, $0.50 per AWS-endpoint health check (HTTPS +$1).
    "aws:route53/zone:Zone": _monthly(0.50),
    "aws:route53/healthCheck:HealthCheck": _monthly(1.50),
    # aws.amazon.com/cloudtrail/pricing: the first copy of management events is free.
    "aws:cloudtrail/trail:Trail": _monthly(0.0),
}


def monthly_price(resource_type: str, inputs: Inputs) -> float | None:
    """USD per month for one resource, or None when the type has no fixed monthly price in the catalog."""
    price = PRICES.get(resource_type)
    return None if price is None else round(price(inputs), 2)
