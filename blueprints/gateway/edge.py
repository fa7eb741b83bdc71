"""What the gateway's load balancer serves and under which names (pure: spec in, definitions out).

One ALB per region, owned by Pulumi (so Route 53, CloudWatch, WAF and the policy packs all see it), with one
target group per backend; the AWS Load Balancer Controller only keeps each target group's pod IPs current,
through a TargetGroupBinding next to the backend's Service.

Names: clients call `gateway.domain_name` (e.g. `llm.example.com`) in every environment. With two or more
regions each region also answers at `<region code>.<domain_name>` (e.g. `euc1.llm.example.com`, what the global
records and health checks point at) and the active-passive pair at `<dns.failover_label>.<domain_name>`; one
wildcard name on the certificate covers both.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from blueprints.batch import manifests as batch
from blueprints.conventions import region_cidr
from blueprints.feedback import manifests as feedback
from blueprints.gateway import envoy_data_plane as envoy
from blueprints.gateway.data_plane import MODEL_PATHS, data_plane
from blueprints.gateway.manifests import NAME, NAMESPACE, PART_OF, PORT
from blueprints.spec import PlatformSpec, region_code

UNHEALTHY_ALARM = "gateway-unhealthy"
"""Suffix of each region's CloudWatch alarm `<platform>-<env>-<region code>-gateway-unhealthy`: no healthy
gateway target. Private presets' Route 53 health checks follow it (their checkers cannot reach an internal ALB)."""
GATEWAY_HEALTH_PATH = "/health/liveliness"
"""LiteLLM's liveness endpoint: answered without a key."""
BATCH_HEALTH_PATH = "/healthz"
GATEWAY, BATCH, FEEDBACK, ENVOY = "gateway", "batch", "feedback", "envoy"
"""Backend names."""


class Backend(BaseModel):
    """A Service behind the gateway's ALB. `paths` (prefixes) are routed to it; the backend without paths gets
    everything else."""

    model_config = ConfigDict(frozen=True)

    name: str
    """Short name, part of the target group's name."""
    namespace: str
    service: str
    service_port: int
    target_port: int
    """The pods' port: ALB targets are pod IPs (target type `ip`)."""
    health_check_path: str
    health_check_port: int | None = None
    """None: the target port; else another port of the same pods (Envoy's readiness listener)."""
    paths: tuple[str, ...] = ()
    carries_models: bool = False
    """Model requests reach the models through it (besides the default backend): the `gateway-unhealthy` alarm
    watches its targets too."""
    below: bool = True
    """Whether the paths below each of `paths` go there too (False: exactly `paths`)."""

    @property
    def path_patterns(self) -> list[str]:
        """ALB path patterns matching each path (and, with `below`, everything below it)."""
        return [pattern for path in self.paths for pattern in ((path, f"{path}/*") if self.below else (path,))]

    @property
    def ports(self) -> list[int]:
        """Ports of the targets the ALB connects to (traffic and health checks)."""
        return sorted({self.target_port, self.health_check_port or self.target_port})


def backends(spec: PlatformSpec) -> dict[str, Backend]:
    """By name: the gateway (default route) and, when the batch tier is on, its jobs API (/v1/batches, /v1/files);
    when the feedback service is on, its API (/v1/feedback); with the Envoy data plane, Envoy's Service for the model
    requests (envoy_data_plane.MODEL_PATHS)."""
    found = {GATEWAY: Backend(name=GATEWAY, namespace=NAMESPACE, service=NAME, service_port=PORT, target_port=PORT,
                              health_check_path=GATEWAY_HEALTH_PATH)}
    if spec.batch.enabled:
        found[BATCH] = Backend(name=BATCH, namespace=batch.NAMESPACE, service=batch.API,
                               service_port=batch.SERVICE_PORT, target_port=batch.API_PORT,
                               health_check_path=BATCH_HEALTH_PATH, paths=batch.INGRESS_PATHS)
    if spec.feedback.enabled:
        found[FEEDBACK] = Backend(name=FEEDBACK, namespace=feedback.NAMESPACE, service=feedback.API,
                                  service_port=feedback.SERVICE_PORT, target_port=feedback.API_PORT,
                                  health_check_path=BATCH_HEALTH_PATH, paths=feedback.INGRESS_PATHS)
    if data_plane(spec).kind == "envoy":
        found[ENVOY] = Backend(name=ENVOY, namespace=NAMESPACE, service=envoy.SERVICE_NAME,
                               service_port=envoy.LISTENER_PORT, target_port=envoy.CONTAINER_PORT,
                               health_check_path=envoy.READY_PATH, health_check_port=envoy.READY_PORT,
                               paths=MODEL_PATHS, below=False, carries_models=True)
    return found


def regional_hostname(spec: PlatformSpec, region: str) -> str:
    return f"{region_code(region)}.{spec.gateway.domain_name}"


def failover_hostname(spec: PlatformSpec) -> str:
    return f"{spec.dns.failover_label}.{spec.gateway.domain_name}"


def certificate_names(spec: PlatformSpec) -> list[str]:
    """Names on the ALB's certificate: the client name, plus a wildcard for the regional and failover names when
    there are several regions (ACM validates `x` and `*.x` with the same DNS record)."""
    domain = spec.gateway.domain_name
    if domain is None:
        return []
    return [domain, f"*.{domain}"] if len(spec.regions) > 1 else [domain]


def unhealthy_alarm(spec: PlatformSpec) -> dict[str, Any]:
    """The `gateway-unhealthy` alarm's metric and threshold (MetricAlarm arguments; its dimensions name the ALB and
    the gateway's target group): fewer than one healthy target for `dns.health_check_failure_threshold` minutes.
    No data (no targets registered at all) counts as unhealthy."""
    return {"namespace": "AWS/ApplicationELB", "metric_name": "HealthyHostCount", "statistic": "Minimum",
            "period": 60, "evaluation_periods": spec.dns.health_check_failure_threshold,
            "comparison_operator": "LessThanThreshold", "threshold": 1, "treat_missing_data": "breaching"}


def unhealthy_alarm_of_groups(spec: PlatformSpec, load_balancer: Any, target_groups: list[Any]) -> dict[str, Any]:
    """unhealthy_alarm over several target groups (LiteLLM's and, with the Envoy data plane, Envoy's, which carries
    the model requests): metric math on the lowest healthy-host count of them, so that either one without a healthy
    target fires it (CloudWatch `MIN([m0, m1])`: the minimum at each point). One group: the plain metric."""
    alarm = unhealthy_alarm(spec)
    if len(target_groups) == 1:
        return {**alarm, "dimensions": {"LoadBalancer": load_balancer, "TargetGroup": target_groups[0]}}
    metric = {"namespace": alarm.pop("namespace"), "metric_name": alarm.pop("metric_name"),
              "period": alarm.pop("period"), "stat": alarm.pop("statistic")}
    queries: list[dict[str, Any]] = [
        {"id": f"m{index}", "return_data": False,
         "metric": {**metric, "dimensions": {"LoadBalancer": load_balancer, "TargetGroup": group}}}
        for index, group in enumerate(target_groups)]
    lowest = {"id": "healthy", "label": "fewest healthy targets of the gateway's target groups", "return_data": True,
              "expression": f"MIN([{', '.join(query['id'] for query in queries)}])"}
    return {**alarm, "metric_queries": [*queries, lowest]}


def inbound_cidrs(spec: PlatformSpec) -> list[str]:
    """Who may connect to the ALB: `gateway.allowed_cidrs`; by default anyone for an internet-facing ALB, and the
    platform's own VPCs (every region's, so clients keep working after a failover) for an internal one."""
    if spec.gateway.allowed_cidrs:
        return list(spec.gateway.allowed_cidrs)
    if spec.gateway.internet_facing:
        return ["0.0.0.0/0"]
    return [region_cidr(spec.network.cidr, index) for index in range(len(spec.regions))]


def target_group_binding(backend: Backend, target_group_arn: Any) -> dict[str, Any]:
    """Tells the AWS Load Balancer Controller to keep the target group's targets = the Service's ready pod IPs."""
    return {
        "apiVersion": "elbv2.k8s.aws/v1beta1", "kind": "TargetGroupBinding",
        "metadata": {"name": backend.service, "namespace": backend.namespace,
                     "labels": {"app.kubernetes.io/name": backend.service, "app.kubernetes.io/part-of": PART_OF}},
        "spec": {"targetGroupARN": target_group_arn, "targetType": "ip",
                 "serviceRef": {"name": backend.service, "port": backend.service_port}},
    }
