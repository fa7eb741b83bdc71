"""Global routing across the regions of a platform: Route 53 health checks, latency-based records and a
failover pair, created once by Platform when the spec has two or more regions.

Names (`blueprints.gateway.edge`; zone `dns.zone_name`, client name `gateway.domain_name`):
- `<region code>.<domain>`: each region's gateway, an alias of its load balancer;
- `<domain>`: latency-routed, one record per region, each tied to that region's health check;
- `<dns.failover_label>.<domain>`: PRIMARY = first region, SECONDARY = second region.

A health check probes each regional name over HTTPS (`dns.health_check_path`) where Route 53's checkers can
reach it: an internet-facing gateway open to anyone. Otherwise (an internal load balancer, or one admitting only
`gateway.allowed_cidrs`) it follows the region's CloudWatch alarm `<region prefix>-gateway-unhealthy` (no healthy
gateway target, raised by components/edge.py). A private preset's zone is private, associated with every
regional VPC. Regulated presets stay within their residency boundary: only the spec's regions (already
validated against it) get records. S3 and ECR replication live in `components/artifacts.py`.

`dns_plan(spec)` is the pure definition shared by the component and the failover tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import pulumi
import pulumi_aws as aws
from pydantic import BaseModel, ConfigDict

from blueprints.gateway.edge import UNHEALTHY_ALARM, failover_hostname, regional_hostname
from blueprints.naming import Namer
from blueprints.spec import PlatformSpec, region_code

if TYPE_CHECKING:
    from blueprints.components.edge import GatewayEdge

HTTPS_PORT = 443


class _Definition(BaseModel):
    model_config = ConfigDict(frozen=True)


class HealthCheckDef(_Definition):
    region: str
    type: Literal["HTTPS", "CLOUDWATCH_METRIC"]
    fqdn: str
    resource_path: str
    request_interval: int
    failure_threshold: int
    alarm_name: str | None
    """CLOUDWATCH_METRIC only: the alarm (in `region`) whose state is the health."""


class RecordDef(_Definition):
    name: str
    set_identifier: str
    region: str
    """The region this record sends clients to, and whose health check guards it."""
    value: str
    ttl: int
    latency_region: str | None = None
    failover: Literal["PRIMARY", "SECONDARY"] | None = None


class DnsPlan(_Definition):
    zone_name: str
    private: bool
    health_checks: list[HealthCheckDef]
    records: list[RecordDef]


def dns_plan(spec: PlatformSpec) -> DnsPlan:
    dns, domain = spec.dns, spec.gateway.domain_name
    if not dns.zone_name or not domain or len(spec.regions) < 2:
        raise ValueError("dns_plan: needs dns.zone_name, gateway.domain_name and two or more regions")
    probed = spec.gateway.internet_facing and not spec.gateway.allowed_cidrs
    health_checks = [
        HealthCheckDef(
            region=region,
            type="HTTPS" if probed else "CLOUDWATCH_METRIC",
            fqdn=regional_hostname(spec, region),
            resource_path=dns.health_check_path,
            request_interval=dns.health_check_interval_seconds,
            failure_threshold=dns.health_check_failure_threshold,
            alarm_name=None if probed else Namer(spec.name, spec.environment, region)(UNHEALTHY_ALARM),
        )
        for region in spec.regions
    ]
    latency = [
        RecordDef(name=domain, set_identifier=region, region=region,
                  value=regional_hostname(spec, region), ttl=dns.ttl_seconds, latency_region=region)
        for region in spec.regions
    ]
    failover = [
        RecordDef(name=failover_hostname(spec), set_identifier=f"{role.lower()}-{region}",
                  region=region, value=regional_hostname(spec, region), ttl=dns.ttl_seconds, failover=role)
        for role, region in zip(("PRIMARY", "SECONDARY"), spec.regions[:2], strict=True)
    ]
    return DnsPlan(zone_name=dns.zone_name, private=spec.is_private, health_checks=health_checks,
                   records=latency + failover)


def health_check_config(check: HealthCheckDef) -> dict[str, Any]:
    """The Route 53 API's HealthCheckConfig for one definition."""
    if check.type == "CLOUDWATCH_METRIC":
        return {"Type": "CLOUDWATCH_METRIC", "InsufficientDataHealthStatus": "Unhealthy",
                "AlarmIdentifier": {"Region": check.region, "Name": check.alarm_name}}
    return {"Type": "HTTPS", "FullyQualifiedDomainName": check.fqdn, "Port": HTTPS_PORT,
            "ResourcePath": check.resource_path, "RequestInterval": check.request_interval,
            "FailureThreshold": check.failure_threshold, "EnableSNI": True, "MeasureLatency": True}


def record_set(record: RecordDef, health_check_id: str) -> dict[str, Any]:
    """The Route 53 API's ResourceRecordSet for one definition."""
    record_set: dict[str, Any] = {
        "Name": record.name, "Type": "CNAME", "TTL": record.ttl, "SetIdentifier": record.set_identifier,
        "ResourceRecords": [{"Value": record.value}], "HealthCheckId": health_check_id,
    }
    if record.latency_region:
        record_set["Region"] = record.latency_region
    if record.failover:
        record_set["Failover"] = record.failover
    return record_set


class GlobalRouting(pulumi.ComponentResource):
    """Route 53 zone, each region's alias, one health check per region, latency and failover records (see module
    docstring)."""

    zone_id: pulumi.Output[str]
    url: str
    """The global base URL of the gateway: `https://<gateway.domain_name>`."""

    def __init__(self, name: str, spec: PlatformSpec, vpc_ids: Mapping[str, pulumi.Input[str]],
                 edges: Mapping[str, GatewayEdge], tags: Mapping[str, str],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("blueprints:platform:GlobalRouting", name, None, opts)
        plan = dns_plan(spec)
        # Route 53 is a global service: the provider's region only decides where the SDK signs, so it is the
        # primary region (keeping every resource's recorded region inside the residency boundary).
        namer = Namer(spec.name, spec.environment, spec.regions[0])
        provider = aws.Provider(namer("dns-aws"), region=spec.regions[0], default_tags={"tags": dict(tags)},
                                opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        if spec.dns.zone_id:
            zone_id: pulumi.Input[str] = spec.dns.zone_id
        else:
            vpcs = [{"vpc_id": vpc_ids[region], "vpc_region": region} for region in spec.regions] if plan.private \
                else None
            zone = aws.route53.Zone(namer("dns-zone"), name=plan.zone_name, vpcs=vpcs,
                                    comment=f"{spec.name}-{spec.environment}: global gateway names",
                                    force_destroy=not spec.deletion_protection, opts=child)
            zone_id = zone.zone_id
        for region, edge in edges.items():
            aws.route53.Record(
                namer("dns", region_code(region)), zone_id=zone_id, name=regional_hostname(spec, region), type="A",
                aliases=[{"name": edge.dns_name, "zone_id": edge.zone_id, "evaluate_target_health": True}],
                opts=child,
            )
        checks = {check.region: self._health_check(namer, check, child) for check in plan.health_checks}
        for record in plan.records:
            aws.route53.Record(
                namer("dns", record.name.split(".")[0], record.set_identifier),
                zone_id=zone_id, name=record.name, type="CNAME", ttl=record.ttl, records=[record.value],
                set_identifier=record.set_identifier, health_check_id=checks[record.region].id,
                latency_routing_policies=[{"region": record.latency_region}] if record.latency_region else None,
                failover_routing_policies=[{"type": record.failover}] if record.failover else None,
                opts=child,
            )
        self.zone_id = pulumi.Output.from_input(zone_id)
        self.url = f"https://{spec.gateway.domain_name}"
        self.register_outputs({"zone_id": self.zone_id, "url": self.url})

    @staticmethod
    def _health_check(namer: Namer, check: HealthCheckDef, opts: pulumi.ResourceOptions) -> aws.route53.HealthCheck:
        logical = namer("dns-health", region_code(check.region))
        if check.type == "CLOUDWATCH_METRIC":
            return aws.route53.HealthCheck(
                logical, type="CLOUDWATCH_METRIC", cloudwatch_alarm_name=check.alarm_name,
                cloudwatch_alarm_region=check.region, insufficient_data_health_status="Unhealthy",
                tags={"Name": logical}, opts=opts,
            )
        return aws.route53.HealthCheck(
            logical, type="HTTPS", fqdn=check.fqdn, port=HTTPS_PORT, resource_path=check.resource_path,
            request_interval=check.request_interval, failure_threshold=check.failure_threshold,
            enable_sni=True, measure_latency=True, tags={"Name": logical}, opts=opts,
        )
