"""The whole platform: one RegionalPlatform per region (its own AWS provider), composed by Platform."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from blueprints.components.access import AccessTeams
from blueprints.components.artifacts import replicate_artifacts
from blueprints.components.audit import Audit
from blueprints.components.batch import BatchTier
from blueprints.components.budgets import CostControls
from blueprints.components.cluster import Cluster, volume_driver_role_name
from blueprints.components.egress import RegistryCache, pull_through_transformation, pull_through_upstreams
from blueprints.components.evaluation import EvaluationGate
from blueprints.components.feedback import FeedbackService
from blueprints.components.gateway import Gateway
from blueprints.components.gateway_fargate import GatewayFargate
from blueprints.components.global_routing import GlobalRouting
from blueprints.components.gpu import GpuSoftware
from blueprints.components.karpenter import Karpenter, controller_role_name
from blueprints.components.keys import DATA_CLASSES, DataClass, KeyRing
from blueprints.components.network import Network, egress_mode, endpoint_services
from blueprints.components.observability import Observability
from blueprints.components.prompts import PromptTemplates
from blueprints.components.retrieval import Retrieval
from blueprints.components.secrets import Secrets
from blueprints.components.serving import ModelServing
from blueprints.components.small_network import SmallNetwork
from blueprints.context import RegionContext
from blueprints.conventions import region_cidr
from blueprints.feedback.manifests import runs_quality_worker
from blueprints.gateway.edge import BATCH, FEEDBACK
from blueprints.naming import Namer
from blueprints.spec import PlatformSpec
from blueprints.versions import IMAGES


def default_tags(spec: PlatformSpec) -> dict[str, str]:
    """Tags on every AWS resource (through the provider), used for cost allocation and ownership."""
    return {
        "blueprints:preset": spec.preset,
        "blueprints:environment": spec.environment,
        "owner": spec.owner,
        "cost-center": spec.cost_center,
        "managed-by": "pulumi",
    }


BUDGET_TAGS = ("blueprints:preset", "blueprints:environment")
"""The tags the budget filters on (components/budgets.py): all a platform without a cluster activates for cost
allocation (owner and cost-center stay on every resource, reported once activated in the account)."""
FARGATE_DATA_CLASSES: tuple[DataClass, ...] = ("logs", "secrets")
"""What a platform without a cluster encrypts: its logs and its secrets (two keys, known by their description rather
than aliases: a platform this small keeps to 40 resources)."""


def volume_creators(spec: PlatformSpec, namer: Namer) -> dict[DataClass, list[str]]:
    """Roles that create EBS volumes with a key of the key ring: Karpenter (GPU nodes, cluster key) and the EBS CSI
    driver (Qdrant's volumes, data key)."""
    qdrant = spec.retrieval.enabled and spec.retrieval.vector_store == "qdrant"
    return {"cluster": [controller_role_name(namer)] if spec.cluster.gpu_pools else [],
            "data": [volume_driver_role_name(namer)] if qdrant else []}


class RegionalPlatform(pulumi.ComponentResource):
    """Everything that lives in one region: network, keys, cluster, node pools and the workloads on them."""

    def __init__(self, spec: PlatformSpec, region: str, index: int, opts: pulumi.ResourceOptions | None = None,
                 provider_keys: Mapping[str, pulumi.Input[str]] | None = None,
                 sso_client_secret: pulumi.Input[str] | None = None):
        namer = Namer(spec.name, spec.environment, region)
        super().__init__("blueprints:platform:RegionalPlatform", namer.prefix, None, opts)
        self.provider_keys = dict(provider_keys or {})
        """Credential environment variable -> the person-supplied key of a hosted provider (gateway/providers.py)."""
        self.sso_client_secret = sso_client_secret
        """The identity provider client's secret when `gateway.sso` is set (gateway/sso.py)."""
        provider = aws.Provider(
            namer("aws"), region=region, default_tags={"tags": default_tags(spec)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws_opts = pulumi.ResourceOptions(parent=self, provider=provider)
        self.region = region
        self.account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(provider=provider)).account_id

        fargate = spec.runtime == "fargate"
        self.keys = KeyRing(namer("keys"), namer, self.account_id, enabled=spec.secrets.customer_managed_keys,
                            trail=index == 0 and spec.audit.cloudtrail,
                            volume_creators=volume_creators(spec, namer),
                            data_classes=FARGATE_DATA_CLASSES if fargate else DATA_CLASSES, aliases=not fargate,
                            opts=aws_opts)
        if fargate:
            self._without_cluster(spec, namer, provider, index, aws_opts)
            return
        cluster_name = namer("eks")
        self.network = Network(
            namer("network"), spec.network, namer,
            cidr=region_cidr(spec.network.cidr, index),
            cluster_name=cluster_name,
            account_id=self.account_id,
            logs_key_arn=self.keys.arn("logs"),
            egress=egress_mode(spec),
            endpoints=endpoint_services(spec),
            opts=aws_opts,
        )
        self.cluster = Cluster(
            namer("cluster"), spec.cluster, namer,
            subnet_ids=self.network.private_subnet_ids,
            account_id=self.account_id,
            cluster_key_arn=self.keys.arn("cluster"),
            logs_key_arn=self.keys.arn("logs"),
            deletion_protection=spec.deletion_protection,
            opts=aws_opts,
        )
        ctx = RegionContext(namer, provider, self.account_id, self.keys, self.network, self.cluster,
                            image_transforms=self._pull_through(spec, namer, aws_opts))
        if spec.cluster.gpu_pools:
            karpenter = Karpenter(
                namer("karpenter"), spec, namer, cluster=self.cluster, account_id=self.account_id,
                volume_key_arn=self.keys.arn("cluster"), depends_on=[],
                opts=pulumi.ResourceOptions.merge(aws_opts, pulumi.ResourceOptions(
                    transformations=list(ctx.image_transforms))),
            )
            GpuSoftware(namer("gpu"), spec.cluster, namer, opts=ctx.k8s_opts(self, depends_on=[karpenter]))
        # Workload components, one line each: Component(namer("<area>"), spec, ctx, opts=ctx.k8s_opts(self)).
        self.observability = Observability(namer("observability"), spec, ctx, opts=ctx.k8s_opts(self))
        self.audit = Audit(namer("audit"), spec, ctx, primary=index == 0, opts=ctx.k8s_opts(self))
        if index == 0:  # Budgets, Cost Explorer and the multi-region trail are global: once, in the primary region.
            CostControls(namer("cost"), spec, ctx, default_tags(spec), opts=ctx.k8s_opts(self))
        self.secrets = Secrets(namer("secrets"), spec, ctx, opts=ctx.k8s_opts(self))
        self.retrieval = (Retrieval(namer("retrieval"), spec, ctx, self.secrets, opts=ctx.k8s_opts(self))
                          if spec.retrieval.enabled else None)
        self.serving = ModelServing(namer("serving"), spec, ctx, opts=ctx.k8s_opts(self),
                                    metrics_query_url=self.observability.metrics_query_url)
        self.gateway = Gateway(namer("gateway"), spec, ctx, self.secrets, self.serving, self.audit,
                               alert_topic_arn=self.observability.alert_topic_arn, opts=ctx.k8s_opts(self),
                               provider_keys=self.provider_keys, sso_client_secret=self.sso_client_secret)
        after_gateway = ctx.k8s_opts(self, depends_on=[self.gateway])
        feedback = spec.feedback.enabled and self.gateway.cache is not None
        evaluation = EvaluationGate.needed(spec) and bool(self.serving.artifacts)
        # The platform's workloads that call the gateway get their own virtual keys from the key reconciler.
        workloads = [name for name, on in (("batch", spec.batch.enabled), ("eval", evaluation),
                                           ("quality", feedback and runs_quality_worker(spec))) if on]
        access = (AccessTeams(namer("access"), spec, ctx, self.secrets, opts=after_gateway, workloads=workloads)
                  if AccessTeams.needed(spec, workloads) else None)
        keys = access.key_secrets if access else {}
        self.batch = (BatchTier(namer("batch"), spec, ctx, self.secrets, opts=after_gateway,
                                target_group_arn=self.gateway.edge.target_group_arns[BATCH],
                                gateway_key=keys["batch"])
                      if spec.batch.enabled else None)
        self.prompts = PromptTemplates(namer("prompts"), spec, ctx, opts=after_gateway)
        if feedback:
            FeedbackService(namer("feedback"), spec, ctx, self.secrets, opts=after_gateway,
                            target_group_arn=self.gateway.edge.target_group_arns[FEEDBACK],
                            redis_host=self.gateway.cache.host, redis_token=self.gateway.cache.token_secret,
                            gateway_key=keys.get("quality"))
        if evaluation:
            EvaluationGate(namer("evaluation"), spec, ctx, self.secrets, self.serving.artifacts, opts=after_gateway,
                           gateway_key=keys["eval"])
        self.register_outputs({"cluster_name": self.cluster.cluster_name, "vpc_id": self.network.vpc_id})

    def _without_cluster(self, spec: PlatformSpec, namer: Namer, provider: aws.Provider, index: int,
                         aws_opts: pulumi.ResourceOptions) -> None:
        """Runtime `fargate`: a small VPC, the budget and the gateway on Fargate; no cluster, no workloads on it."""
        self.network = SmallNetwork(namer("network"), spec.network, namer, cidr=region_cidr(spec.network.cidr, index),
                                     opts=aws_opts)
        ctx = RegionContext(namer, provider, self.account_id, self.keys, self.network, None)
        tags = {key: value for key, value in default_tags(spec).items() if key in BUDGET_TAGS}
        cost = CostControls(namer("cost"), spec, ctx, tags, opts=ctx.aws_opts(self))
        self.gateway = GatewayFargate(namer("gateway"), spec, ctx, cost.alert_topic_arn, opts=ctx.aws_opts(self),
                                      provider_keys=self.provider_keys, sso_client_secret=self.sso_client_secret)
        self.cluster = self.serving = self.retrieval = self.batch = None
        self.register_outputs({"vpc_id": self.network.vpc_id})

    def _pull_through(self, spec: PlatformSpec, namer: Namer,
                      opts: pulumi.ResourceOptions) -> tuple[pulumi.ResourceTransformation, ...]:
        """A VPC without internet pulls public images through ECR pull-through cache rules (one per upstream of
        the pinned runtime images); the workloads' image references are rewritten to them."""
        if self.network.egress == "nat":
            return ()
        upstreams = pull_through_upstreams([image.ref for image in IMAGES.values()])
        RegistryCache(namer("registry-cache"), namer, upstreams, kms_key_arn=self.keys.arn("artifacts"),
                      force_delete=not spec.deletion_protection, opts=opts)
        registry = pulumi.Output.concat(self.account_id, ".dkr.ecr.", namer.region, ".amazonaws.com")
        return (pull_through_transformation(registry, upstreams),)


class Platform(pulumi.ComponentResource):
    """All regions of one platform; the first region is primary."""

    def __init__(self, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None,
                 provider_keys: Mapping[str, pulumi.Input[str]] | None = None,
                 sso_client_secret: pulumi.Input[str] | None = None):
        super().__init__("blueprints:platform:Platform", f"{spec.name}-{spec.environment}", None, opts)
        self.spec = spec
        self.regions = [
            RegionalPlatform(spec, region, index, opts=pulumi.ResourceOptions(parent=self),
                             provider_keys=provider_keys, sso_client_secret=sso_client_secret)
            for index, region in enumerate(spec.regions)
        ]
        replicate_artifacts([regional.serving.artifacts for regional in self.regions if regional.serving])
        self.global_routing = GlobalRouting(
            f"{spec.name}-{spec.environment}-dns", spec, {r.region: r.network.vpc_id for r in self.regions},
            {r.region: r.gateway.edge for r in self.regions}, default_tags(spec),
            opts=pulumi.ResourceOptions(parent=self),
        ) if len(spec.regions) > 1 else None
        self.register_outputs({})

    def export(self) -> None:
        """Stack outputs the applications and the `verify` command read."""
        pulumi.export("preset", self.spec.preset)
        pulumi.export("environment", self.spec.environment)
        pulumi.export("regions", {
            regional.region: {**({"cluster_name": regional.cluster.cluster_name} if regional.cluster else {}),
                              "vpc_id": regional.network.vpc_id,
                              "gateway_url": regional.gateway.endpoint,
                              **({"retrieval": regional.retrieval.connection} if regional.retrieval else {})}
            for regional in self.regions
        })
        # One URL for clients: the latency-routed global name with several regions, else the only region's gateway.
        pulumi.export("gateway_url", f"{self.global_routing.url}/v1" if self.global_routing
                      else self.regions[0].gateway.endpoint)
