"""The gateway's Application Load Balancer in one region, owned by Pulumi: security groups, HTTPS listener with
the spec's TLS policy (HTTP only redirects), one target group per backend (`blueprints.gateway.edge`), WAF,
access logs, the `gateway-unhealthy` alarm, with `gateway.sso` the people's pages behind the IdP
(`blueprints.gateway.sso`) and, with a single region and a hosted zone, the client name.

The AWS Load Balancer Controller keeps each target group's pod IPs current (TargetGroupBinding); everything a
reviewer, Route 53 or CloudWatch needs to know about the ALB is here, in the graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from blueprints.gateway.edge import (
    UNHEALTHY_ALARM,
    Backend,
    inbound_cidrs,
    unhealthy_alarm_of_groups,
)
from blueprints.gateway.sso import authenticated_forward, human_path_groups, idp_cidrs
from blueprints.spec import PlatformSpec

if TYPE_CHECKING:
    from blueprints.context import RegionContext

HTTPS, HTTP = 443, 80


class GatewayEdge(pulumi.ComponentResource):
    """`dns_name` / `zone_id`: the ALB's name and canonical zone (for alias records); `target_group_arns`: per
    backend name."""

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, backends: Sequence[Backend], *,
                 certificate_arn: pulumi.Input[str], web_acl_arn: pulumi.Input[str] | None,
                 logs_bucket: pulumi.Input[str] | None, alert_topic_arn: pulumi.Input[str],
                 target_security_group_id: pulumi.Input[str], opts: pulumi.ResourceOptions,
                 redirect_http: bool = True, sso_client_secret: pulumi.Input[str] | None = None):
        """`target_security_group_id`: the group of the backends' targets (the cluster's nodes, or Fargate tasks),
        which admits the ALB on their ports. `logs_bucket`: None writes no access logs.
        `redirect_http`: False opens no port 80 at all (API clients call https:// only).
        `sso_client_secret`: the IdP client's secret (a Pulumi secret), required when `gateway.sso` is set."""
        super().__init__("blueprints:gateway:GatewayEdge", name, None, opts)
        namer, gateway = ctx.namer, spec.gateway
        child = pulumi.ResourceOptions(parent=self)
        if gateway.sso is not None and sso_client_secret is None:
            raise ValueError("gateway.sso is set: GatewayEdge needs sso_client_secret")
        security_group = self._security_groups(spec, ctx, backends, target_security_group_id,
                                               (HTTPS, HTTP) if redirect_http else (HTTPS,))

        balancer = aws.lb.LoadBalancer(
            namer("alb"), name=namer.short("alb"), load_balancer_type="application",
            internal=not gateway.internet_facing, security_groups=[security_group.id],
            subnets=ctx.network.public_subnet_ids if gateway.internet_facing else ctx.network.private_subnet_ids,
            drop_invalid_header_fields=True, idle_timeout=int(gateway.request_timeout_s),
            enable_deletion_protection=spec.deletion_protection,
            access_logs={"bucket": logs_bucket, "prefix": "gateway", "enabled": True} if logs_bucket else None,
            tags={"Name": namer("alb")}, opts=child,
        )
        groups = {backend.name: aws.lb.TargetGroup(
            namer("tg", backend.name), name=namer.short("tg", backend.name), target_type="ip", protocol="HTTP",
            port=backend.target_port, vpc_id=ctx.network.vpc_id, deregistration_delay=30,
            # Generations last seconds to minutes: send each request to the target with the fewest in flight.
            load_balancing_algorithm_type="least_outstanding_requests",
            health_check={"path": backend.health_check_path, "protocol": "HTTP",
                          "port": str(backend.health_check_port) if backend.health_check_port else "traffic-port",
                          "matcher": "200", "interval": 15, "timeout": 5, "healthy_threshold": 2,
                          "unhealthy_threshold": 3},
            tags={"Name": namer("tg", backend.name)}, opts=child,
        ) for backend in backends}
        default = next(backend for backend in backends if not backend.paths)
        https = aws.lb.Listener(
            namer("alb", "https"), load_balancer_arn=balancer.arn, port=HTTPS, protocol="HTTPS",
            ssl_policy=gateway.ssl_policy, certificate_arn=certificate_arn,
            default_actions=[{"type": "forward", "target_group_arn": groups[default.name].arn}], opts=child,
        )
        if redirect_http:
            aws.lb.Listener(
                namer("alb", "http"), load_balancer_arn=balancer.arn, port=HTTP, protocol="HTTP",
                default_actions=[{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": str(HTTPS),
                                                                   "status_code": "HTTP_301"}}], opts=child,
            )
        for priority, backend in enumerate((b for b in backends if b.paths), start=10):
            aws.lb.ListenerRule(
                namer("alb", "rule", backend.name), listener_arn=https.arn, priority=priority,
                actions=[{"type": "forward", "target_group_arn": groups[backend.name].arn}],
                conditions=[{"path_pattern": {"values": backend.path_patterns}}], opts=child,
            )
        if gateway.sso is not None:
            # Before every other rule: the pages people open go through the IdP, then to the gateway.
            for priority, paths in enumerate(human_path_groups(), start=1):
                aws.lb.ListenerRule(
                    namer("alb", "rule", "sso", str(priority)), listener_arn=https.arn, priority=priority,
                    actions=authenticated_forward(gateway.sso, sso_client_secret, groups[default.name].arn),
                    conditions=[{"path_pattern": {"values": paths}}], opts=child,
                )
            # The ALB itself calls the IdP's token and user-info endpoints (HTTPS).
            for cidr in idp_cidrs(gateway.sso):
                aws.vpc.SecurityGroupEgressRule(
                    namer("alb", "out", "idp", cidr.replace("/", "_")), security_group_id=security_group.id,
                    cidr_ipv4=cidr, ip_protocol="tcp", from_port=HTTPS, to_port=HTTPS,
                    description="identity provider (sign-in of people)", opts=child)
        if web_acl_arn is not None:
            aws.wafv2.WebAclAssociation(namer("alb", "waf"), resource_arn=balancer.arn, web_acl_arn=web_acl_arn,
                                        opts=child)
        alarm = namer(UNHEALTHY_ALARM)
        watched = [backend.name for backend in backends if backend.carries_models]
        aws.cloudwatch.MetricAlarm(
            alarm, name=alarm,
            alarm_description=f"No healthy gateway target behind {namer('alb')}: clients of this region get 5xx. "
                              "Route 53 takes the region out of the global names while it fires.",
            **unhealthy_alarm_of_groups(spec, balancer.arn_suffix,
                                        [groups[name].arn_suffix for name in (default.name, *watched)]),
            alarm_actions=[alert_topic_arn], ok_actions=[alert_topic_arn], opts=child,
        )
        if len(spec.regions) == 1 and gateway.hosted_zone_id and gateway.domain_name:
            # With several regions the client name is latency-routed by GlobalRouting instead.
            aws.route53.Record(
                namer("gateway-dns"), zone_id=gateway.hosted_zone_id, name=gateway.domain_name, type="A",
                aliases=[{"name": balancer.dns_name, "zone_id": balancer.zone_id, "evaluate_target_health": True}],
                opts=child,
            )
        self.dns_name, self.zone_id, self.arn = balancer.dns_name, balancer.zone_id, balancer.arn
        self.target_group_arns = {name: group.arn for name, group in groups.items()}
        self.register_outputs({"dns_name": balancer.dns_name, "target_group_arns": self.target_group_arns})

    def _security_groups(self, spec: PlatformSpec, ctx: RegionContext, backends: Sequence[Backend],
                         targets: pulumi.Input[str], client_ports: Sequence[int]) -> aws.ec2.SecurityGroup:
        """The ALB's group admits clients on 443/80 and reaches only the backends' ports; the targets' group (the
        cluster's: pods use their node's group; or the Fargate tasks') admits the ALB on exactly those ports."""
        namer, child = ctx.namer, pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(namer("alb"), name=namer("alb"), vpc_id=ctx.network.vpc_id,
                                      description=f"{namer.prefix} gateway load balancer",
                                      tags={"Name": namer("alb")}, opts=child)
        for cidr in inbound_cidrs(spec):
            for port in client_ports:
                aws.vpc.SecurityGroupIngressRule(
                    namer("alb", "in", str(port), cidr.replace("/", "_")), security_group_id=group.id,
                    cidr_ipv4=cidr, ip_protocol="tcp", from_port=port, to_port=port,
                    description="clients (HTTP only redirects)" if port == HTTP else "clients", opts=child)
        for port in sorted({port for backend in backends for port in backend.ports}):
            aws.vpc.SecurityGroupEgressRule(
                namer("alb", "out", str(port)), security_group_id=group.id,
                referenced_security_group_id=targets, ip_protocol="tcp", from_port=port,
                to_port=port, description="gateway pods", opts=child)
            aws.vpc.SecurityGroupIngressRule(
                namer("cluster", "from-alb", str(port)), security_group_id=targets,
                referenced_security_group_id=group.id, ip_protocol="tcp", from_port=port, to_port=port,
                description="gateway load balancer", opts=child)
        return group
