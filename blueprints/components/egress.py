"""Filtered internet egress for private VPCs (AWS Network Firewall with a domain allowlist) and ECR pull-through
cache rules, so a VPC without an internet route still pulls the public images its workloads run."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from blueprints.catalog.registries import PULL_THROUGH, PullThroughUpstream, pull_through_path, split_image
from blueprints.naming import Namer
from blueprints.versions import CHARTS

ALLOWLIST_TARGET_TYPES = ["TLS_SNI", "HTTP_HOST"]
"""What a Network Firewall domain list matches: the TLS Server Name Indication and the HTTP Host header."""


def allowlist_capacity(domains: Sequence[str]) -> int:
    """A domain list rule group uses about one unit per domain and target type (AWS Network Firewall Developer
    Guide, rule-group-managing.html "Setting rule group capacity"); capacity is fixed at creation, so leave room."""
    return max(100, 4 * len(domains) * len(ALLOWLIST_TARGET_TYPES))


class EgressFirewall(pulumi.ComponentResource):
    """A Network Firewall across the firewall subnets: HTTPS/HTTP to `domains` passes, every other established flow
    is dropped and alerted (strict rule order, `aws:drop_established`). `endpoint(subnet_id)` is the firewall
    endpoint in that subnet, the next hop of a route."""

    def __init__(self, name: str, namer: Namer, *, vpc_id: pulumi.Input[str],
                 subnet_ids: Sequence[pulumi.Input[str]], domains: Sequence[str],
                 logs_key_arn: pulumi.Input[str], log_retention_days: int, opts: pulumi.ResourceOptions):
        super().__init__("blueprints:network:EgressFirewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rules = aws.networkfirewall.RuleGroup(
            namer("egress-allowlist"), name=namer("egress-allowlist"), type="STATEFUL",
            capacity=allowlist_capacity(domains), description="Internet domains private workloads may reach",
            rule_group={
                "rules_source": {"rules_source_list": {"generated_rules_type": "ALLOWLIST",
                                                       "target_types": ALLOWLIST_TARGET_TYPES,
                                                       "targets": list(domains)}},
                "stateful_rule_options": {"rule_order": "STRICT_ORDER"},
            },
            opts=child,
        )
        policy = aws.networkfirewall.FirewallPolicy(
            namer("egress"), name=namer("egress"),
            firewall_policy={
                "stateless_default_actions": ["aws:forward_to_sfe"],
                "stateless_fragment_default_actions": ["aws:forward_to_sfe"],
                "stateful_engine_options": {"rule_order": "STRICT_ORDER"},
                "stateful_default_actions": ["aws:drop_established", "aws:alert_established"],
                "stateful_rule_group_references": [{"resource_arn": rules.arn, "priority": 1}],
            },
            opts=child,
        )
        self.firewall = aws.networkfirewall.Firewall(
            namer("egress"), name=namer("egress"), vpc_id=vpc_id, firewall_policy_arn=policy.arn,
            subnet_mappings=[{"subnet_id": subnet_id} for subnet_id in subnet_ids], opts=child,
        )
        alerts = aws.cloudwatch.LogGroup(
            namer("egress-alerts"), name=f"/blueprints/{namer.prefix}/egress-firewall",
            retention_in_days=log_retention_days, kms_key_id=logs_key_arn, opts=child,
        )
        aws.networkfirewall.LoggingConfiguration(
            namer("egress"), firewall_arn=self.firewall.arn,
            logging_configuration={"log_destination_configs": [{
                "log_destination_type": "CloudWatchLogs", "log_type": "ALERT",
                "log_destination": {"logGroup": alerts.name},
            }]},
            opts=child,
        )
        self.register_outputs({"firewall_arn": self.firewall.arn})

    def endpoint(self, subnet_id: pulumi.Input[str]) -> pulumi.Output[str]:
        """The firewall's VPC endpoint in `subnet_id` (from the firewall's sync states, one per mapped subnet)."""
        def pick(args: list) -> str:
            statuses, subnet = args
            return next(_field(attachment, "endpoint_id") for status in statuses
                        for state in _field(status, "sync_states") for attachment in _field(state, "attachments")
                        if _field(attachment, "subnet_id") == subnet)
        return pulumi.Output.all(self.firewall.firewall_statuses, subnet_id).apply(pick)


def _set_path(values: dict, path: list[str], value: object) -> None:
    """values[a][b]... = value, copying the mappings on the way (the caller's may be shared)."""
    node = values
    for key in path[:-1]:
        node[key] = dict(node.get(key) or {})
        node = node[key]
    node[path[-1]] = value


def _field(value: object, name: str) -> object:
    """A field of a provider output type (attribute access), or of the plain dict the same value arrives as when
    the output type is not applied (under mocks)."""
    return value[name] if type(value) is dict else getattr(value, name)


class RegistryCache(pulumi.ComponentResource):
    """ECR pull-through cache rules for the public registries the platform's images come from. Upstreams that need
    authentication read it from a Secrets Manager secret named `ecr-pullthroughcache/<prefix>` (the name ECR
    requires), created empty here: the operator stores the registry's username and access token in it."""

    def __init__(self, name: str, namer: Namer, upstreams: Sequence[str], *, kms_key_arn: pulumi.Input[str] | None,
                 force_delete: bool, opts: pulumi.ResourceOptions):
        super().__init__("blueprints:network:RegistryCache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # nvcr.io is no pull-through upstream: these repositories hold copies the operator pushes before the first
        # apply (e.g. `crane copy nvcr.io/nvidia/gpu-operator:v26.7.0 <registry>/nvcr/nvidia/gpu-operator:v26.7.0`).
        for repository in mirrored_repositories():
            aws.ecr.Repository(
                namer("mirror", repository.replace("/", "-")), name=repository, image_tag_mutability="IMMUTABLE",
                image_scanning_configuration={"scan_on_push": True},
                encryption_configurations=[{"encryption_type": "KMS", "kms_key": kms_key_arn} if kms_key_arn
                                           else {"encryption_type": "AES256"}],
                force_delete=force_delete, opts=child,
            )
        for host in upstreams:
            upstream: PullThroughUpstream = PULL_THROUGH[host]
            credential = None
            if upstream.credential:
                # AWS-managed key: ECR's pull-through service-linked role may read only `ecr-pullthroughcache/*`
                # secrets and holds no kms:Decrypt (AWSECRPullThroughCache_ServiceRolePolicy).
                credential = aws.secretsmanager.Secret(
                    namer("pull-through", upstream.prefix),
                    name=f"ecr-pullthroughcache/{namer.prefix}-{upstream.prefix}",
                    description=f"Credentials ECR uses to pull from {upstream.url} (username, accessToken)",
                    opts=child,
                ).arn
            aws.ecr.PullThroughCacheRule(
                namer("pull-through", upstream.prefix), ecr_repository_prefix=upstream.prefix,
                upstream_registry_url=upstream.url, credential_arn=credential, opts=child,
            )
        self.register_outputs({})



ChartImage = tuple[str, str, str]
"""(values path of an image block, how it names the image, the chart's default image there): `repository` blocks
get the full pull-through path, `registry` blocks (registry + repository charts) the pull-through registry prefix,
`image` blocks the whole reference, and `mirror` blocks (NVIDIA's `repository` + `image` pairs) the namespace of the
platform's own mirror repository in ECR."""
MIRROR_PREFIX = "nvcr"
"""ECR namespace of the images the platform mirrors because no pull-through rule can serve them (nvcr.io)."""
CHART_IMAGES: dict[str, list[ChartImage]] = {
    # The image blocks of each chart's default values (and its subcharts') at the version pinned in versions.py;
    # tests/components/test_egress.py renders every release of the private presets and checks every container.
    "karpenter": [("controller.image", "repository", "public.ecr.aws/karpenter/controller")],
    "aws-load-balancer-controller": [("image", "repository", "public.ecr.aws/eks/aws-load-balancer-controller")],
    "aws-for-fluent-bit": [("image", "repository", "public.ecr.aws/aws-observability/aws-for-fluent-bit")],
    "external-secrets": [(block, "repository", "ghcr.io/external-secrets/external-secrets")
                         for block in ("image", "webhook.image", "certController.image")],
    "keda": [(f"image.{block}", "registry", "ghcr.io") for block in ("keda", "metricsApiServer", "webhooks")],
    "kube-prometheus-stack": [(block, "registry", host) for block, host in (
        ("prometheusOperator.image", "quay.io"),
        ("prometheusOperator.prometheusConfigReloader.image", "quay.io"),
        ("prometheusOperator.admissionWebhooks.deployment.image", "quay.io"),
        ("prometheusOperator.admissionWebhooks.patch.image", "ghcr.io"),
        ("prometheus.prometheusSpec.image", "quay.io"),
        ("alertmanager.alertmanagerSpec.image", "quay.io"),
        ("crds.upgradeJob.image.busybox", "docker.io"),
        ("crds.upgradeJob.image.kubectl", "registry.k8s.io"),
        ("grafana.image", "docker.io"),
        ("grafana.sidecar.image", "quay.io"),
        ("grafana.initChownData.image", "docker.io"),
        ("kube-state-metrics.image", "registry.k8s.io"),
        ("prometheus-node-exporter.image", "quay.io"),
    )],
    "envoy-gateway": [("global.images.envoyGateway", "image", "docker.io/envoyproxy/gateway:v1.9.0"),
                      ("global.images.ratelimit", "image", "docker.io/envoyproxy/ratelimit:17b1956c")],
    "envoy-ai-gateway": [("controller.image", "repository", "docker.io/envoyproxy/ai-gateway-controller"),
                         ("extProc.image", "repository", "docker.io/envoyproxy/ai-gateway-extproc")],
    "inferencepool": [("inferenceExtension.image", "registry", "registry.k8s.io")],
    "gpu-operator": [
        ("node-feature-discovery.image", "repository", "registry.k8s.io/nfd/node-feature-discovery"),
        # The operator and every operand its ClusterPolicy leaves enabled with our values (driver, toolkit, DCGM
        # host engine, GDS and GDRCopy are off; the sandbox and confidential-computing operands stay enabled).
        *((block, "mirror", image) for block, image in (
            ("operator", "nvcr.io/nvidia/gpu-operator"),
            ("validator", "nvcr.io/nvidia/gpu-operator"),
            ("nodeStatusExporter", "nvcr.io/nvidia/gpu-operator"),
            ("devicePlugin", "nvcr.io/nvidia/k8s-device-plugin"),
            ("gfd", "nvcr.io/nvidia/k8s-device-plugin"),
            ("dcgmExporter", "nvcr.io/nvidia/k8s/dcgm-exporter"),
            ("migManager", "nvcr.io/nvidia/cloud-native/k8s-mig-manager"),
            ("vfioManager", "nvcr.io/nvidia/cloud-native/k8s-driver-manager"),
            ("vfioManager.driverManager", "nvcr.io/nvidia/cloud-native/k8s-driver-manager"),
            ("vgpuDeviceManager", "nvcr.io/nvidia/cloud-native/vgpu-device-manager"),
            ("ccManager", "nvcr.io/nvidia/cloud-native/k8s-cc-manager"),
            ("sandboxDevicePlugin", "nvcr.io/nvidia/kubevirt-gpu-device-plugin"),
            ("kataSandboxDevicePlugin", "nvcr.io/nvidia/cloud-native/nvidia-sandbox-device-plugin"),
        )),
    ],
}


def mirrored_repositories() -> list[str]:
    """ECR repositories the platform keeps copies of nvcr.io images in (`nvcr/nvidia/gpu-operator`, ...)."""
    return sorted({f"{MIRROR_PREFIX}/{split_image(image)[1]}" for blocks in CHART_IMAGES.values()
                   for _, kind, image in blocks if kind == "mirror"})


def pull_through_upstreams(images: Sequence[str]) -> list[str]:
    """The registry hosts of `images`, and of every chart's default images, that a pull-through rule serves."""
    charts = [f"{image}/x" if kind == "registry" else image for blocks in CHART_IMAGES.values()
              for _, kind, image in blocks]
    return sorted({host for host, _ in map(split_image, [*images, *charts]) if host in PULL_THROUGH})


def pull_through_transformation(registry: pulumi.Input[str],
                                upstreams: Sequence[str]) -> pulumi.ResourceTransformation:
    """Rewrites every public image a Kubernetes object names (a container's `image`, a Helm value
    `image: {repository, tag}`) to its pull-through path in `registry` (`<account>.dkr.ecr.<region>.amazonaws.com`)
    when one of `upstreams` serves it; other references (our own ECR images, Outputs) are left as they are."""
    def rewrite(ref: str) -> pulumi.Input[str]:
        host, _ = split_image(ref)
        path = pull_through_path(ref)
        return pulumi.Output.concat(registry, "/", path) if host in upstreams and path else ref

    def walk(value: object) -> object:
        if isinstance(value, dict):
            out = {key: walk(item) for key, item in value.items()}
            image = value.get("image")
            if isinstance(image, str):
                out["image"] = rewrite(image)
            elif isinstance(image, dict) and isinstance(image.get("repository"), str) \
                    and isinstance(image.get("tag"), str):
                moved = rewrite(f"{image['repository']}:{image['tag']}")
                if not isinstance(moved, str):
                    repository = moved.apply(lambda ref: ref.rsplit(":", 1)[0])
                    out["image"] = {**out["image"], "repository": repository}
            return out
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    def chart_values(chart: str, values: dict) -> dict:
        key = next((key for key, pinned in CHARTS.items()
                    if chart in (pinned.chart, f"{pinned.repository}/{pinned.chart}")), None)
        out = dict(values)
        for block, kind, image in CHART_IMAGES.get(key or "", []):
            host, path = split_image(f"{image}/x" if kind == "registry" else image)
            if kind == "mirror":
                field, value = "repository", pulumi.Output.concat(
                    registry, "/", MIRROR_PREFIX, "/", path.rsplit("/", 1)[0])
            elif host not in upstreams:
                continue
            elif kind == "registry":
                field, value = "registry", pulumi.Output.concat(registry, "/", PULL_THROUGH[host].prefix)
            else:
                field, value = kind, pulumi.Output.concat(registry, "/", pull_through_path(image) or "")
            _set_path(out, [*block.split("."), field], value)
        return out

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not args.type_.startswith("kubernetes:"):
            return None
        props = walk(args.props)
        if args.type_ == "kubernetes:helm.sh/v3:Release" and isinstance(props.get("chart"), str):
            props["values"] = chart_values(props["chart"], props.get("values") or {})
        return pulumi.ResourceTransformationResult(props=props, opts=args.opts)

    return transform
