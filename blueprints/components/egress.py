"""Filtered internet egress for private VPCs (AWS Network Firewall with a domain allowlist) and ECR pull-through
cache rules, so a VPC without an internet route still pulls the public images its workloads run."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from blueprints.catalog.registries import PULL_THROUGH, PullThroughUpstream, pull_through_path, split_image
from blueprints.naming import Namer

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


def _field(value: object, name: str) -> object:
    """A field of a provider output type (attribute access), or of the plain dict the same value arrives as when
    the output type is not applied (under mocks)."""
    return value[name] if type(value) is dict else getattr(value, name)


class RegistryCache(pulumi.ComponentResource):
    """ECR pull-through cache rules for the public registries the platform's images come from. Upstreams that need
    authentication read it from a Secrets Manager secret named `ecr-pullthroughcache/<prefix>` (the name ECR
    requires), created empty here: the operator stores the registry's username and access token in it."""

    def __init__(self, name: str, namer: Namer, upstreams: Sequence[str], opts: pulumi.ResourceOptions):
        super().__init__("blueprints:network:RegistryCache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
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



def pull_through_upstreams(images: Sequence[str]) -> list[str]:
    """The registry hosts of `images` that a pull-through rule serves (sorted, unique)."""
    return sorted({host for host, _ in map(split_image, images) if host in PULL_THROUGH})


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

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not args.type_.startswith("kubernetes:"):
            return None
        return pulumi.ResourceTransformationResult(props=walk(args.props), opts=args.opts)

    return transform
