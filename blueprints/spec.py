"""The one typed model of a platform.

Stack config (preset + environment overlay + overrides) is merged and validated into a `PlatformSpec` before any
resource exists. Every knob has a default that describes behaviour; cross-field rules live in validators here, so
components can trust their slice of the spec. Values left `None` where the docstring says "computed" are filled by
`blueprints.sizing` through `resolve_capacity` (presets are data, sizes are computed).
"""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata
from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from blueprints.catalog.aws_prices import (
    CAPACITY_BLOCK_INSTANCE_COUNTS,
    CAPACITY_BLOCK_INSTANCE_TYPES,
    CAPACITY_BLOCK_MAX_DAYS,
    VALKEY_NODE_USD_PER_HOUR,
)
from blueprints.catalog.embeddings import EMBEDDING_MODELS, EmbeddingHosting
from blueprints.catalog.gpus import GPUS, Precision
from blueprints.catalog.hosted import HOSTED_MODELS, invocable_models
from blueprints.catalog.instances import INSTANCES, instances_for
from blueprints.catalog.models import MODELS
from blueprints.catalog.pii import DEFAULT_PATTERNS as DEFAULT_PII_PATTERNS
from blueprints.catalog.pii import PREBUILT_PATTERNS as PII_PATTERNS
from blueprints.catalog.providers import GLOBAL, PROVIDER_FACTS, PROVIDER_MODELS, PROVIDERS
from blueprints.catalog.regional_prices import regions_not_offering
from blueprints.teams import PLATFORM_TEAM, TeamSpec
from blueprints.versions import EKS_VERSIONS, IMAGES, KUBERNETES_VERSION

Environment = Literal["dev", "staging", "prod"]
ComplianceLevel = Literal["basic", "standard", "regulated"]
Framework = Literal["soc2", "hipaa", "gdpr", "pci-dss", "iso27001", "eu-ai-act", "nist-800-53"]
CapacityType = Literal["on-demand", "spot", "reserved"]
ControlPlaneLog = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
Runtime = Literal["eks", "fargate"]
"""Where the gateway runs: on the EKS cluster (with everything else), or on ECS Fargate with no cluster at all."""
DnsLabel = Annotated[str, StringConstraints(pattern=r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")]
TAG_VALUE_RULE = "1-256 letters, digits, spaces and _ . : / = + - @"
PINNABLE_IMAGES = ("litellm", "otel-collector-contrib")
"""Keys of blueprints.versions.IMAGES that the platform deploys as they are published (not rebuilt into its own
ECR): their digest can be set per stack in `images` (the gateway's and the OpenTelemetry collector's images)."""


def _tag_value(value: str) -> str:
    """A tag value AWS accepts: the Tag data type of the Resource Groups Tagging / IAM / EC2 APIs allows 0-256
    characters matching [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*; ours also may not be empty."""
    bad = sorted({c for c in value if not (c.isalnum() or unicodedata.category(c) == "Zs" or c in "_.:/=+-@")})
    if not 1 <= len(value) <= 256 or bad:
        found = f"characters {''.join(bad)!r}" if bad else f"{len(value)} characters"
        raise ValueError(f"not an AWS tag value: {found} in {value!r} (allowed: {TAG_VALUE_RULE})")
    return value


TagValue = Annotated[str, AfterValidator(_tag_value)]

# Commercial AWS regions with EKS, GPU capacity and Bedrock; the residency boundaries presets may name.
AWS_REGIONS: dict[str, str] = {
    "us-east-1": "use1", "us-east-2": "use2", "us-west-2": "usw2", "ca-central-1": "cac1",
    "eu-west-1": "euw1", "eu-west-2": "euw2", "eu-west-3": "euw3", "eu-central-1": "euc1",
    "eu-central-2": "euc2", "eu-north-1": "eun1", "eu-south-2": "eus2",
    "ap-northeast-1": "apne1", "ap-northeast-2": "apne2", "ap-southeast-1": "apse1",
    "ap-southeast-2": "apse2", "ap-south-1": "aps1", "sa-east-1": "sae1",
}


class Section(BaseModel):
    """Base of every spec section: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ResidencySpec(Section):
    """Where data may live. `allowed_regions: null` means no residency constraint."""

    boundary: str | None = None
    """A label for reviewers, e.g. "EU" or "US"."""
    allowed_regions: list[str] | None = None
    """AWS regions, and the regions of hosted providers other than Bedrock written `<provider>:<region>`
    (azure:swedencentral, vertex:europe-west4; openai:global, anthropic:global for their global APIs)."""


_ALLOWLIST_DOMAIN = re.compile(r"^\.?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class NetworkSpec(Section):
    cidr: str = "10.0.0.0/16"
    """CIDR of the first region's VPC; region N uses the block N positions after it (10.0/16, 10.1/16, ...)."""
    availability_zones: int = Field(3, ge=2, le=3)
    nat_gateways: Literal["single", "per-az"] = "per-az"
    """`single` saves cost (dev); `per-az` survives an AZ outage."""
    private_endpoints: bool = False
    """Interface endpoints for every AWS API the platform calls (S3 gateway always). Private platforms
    (gateway.internet_facing false) always get them: their nodes have no route to the internet."""
    egress_allowlist: list[str] = []
    """Private platforms only: internet domains nodes may reach over TLS (SNI) or HTTP (Host), e.g.
    `huggingface.co` or `.example.com` (a leading dot admits subdomains). Non-empty = NAT behind AWS Network
    Firewall with exactly these domains; empty = no route to the internet at all."""
    flow_log_retention_days: int = Field(365, ge=1)

    @field_validator("egress_allowlist")
    @classmethod
    def _domains(cls, domains: list[str]) -> list[str]:
        for domain in domains:
            if not _ALLOWLIST_DOMAIN.match(domain):
                raise ValueError(f"{domain!r} is not a domain name (allowed: e.g. huggingface.co, .example.com)")
        if len(set(domains)) != len(domains):
            raise ValueError(f"domains are listed twice: {domains}")
        return domains

    @field_validator("cidr")
    @classmethod
    def _cidr_is_a_16(cls, value: str) -> str:
        network = ipaddress.ip_network(value, strict=True)
        if network.prefixlen != 16 or not network.is_private:
            raise ValueError(f"{value!r} is not a private /16 block (allowed: e.g. 10.0.0.0/16, 172.16.0.0/16)")
        return value


class SystemNodesSpec(Section):
    """The small managed node group for cluster add-ons, Karpenter itself and the gateway."""

    instance_type: str = "m7i.xlarge"
    min_size: int = Field(2, ge=1)
    max_size: int = Field(4, ge=1)


class ReservationSpec(Section):
    """Committed capacity for a GPU pool. `capacity-reservation`: an EC2 On-Demand Capacity Reservation of
    `instances_per_zone` x `instance_type` in every zone, targeted, selected by the EC2NodeClass and used first by
    Karpenter (capacity type `reserved`); billed at the on-demand rate whether used or not. `capacity-block`: an
    EC2 Capacity Block for ML of `block_instances` x `instance_type` for `duration_days` from `start_date`, in the
    one zone AWS offers it, bought upfront at `usd_per_instance_hour` (its offering's price) and used first by
    Karpenter like any reservation it selects; outside the block the pool runs on-demand. `savings-plan`: the
    pool's on-demand nodes priced at your Compute/EC2 Instance Savings Plan rate (`discount` off on-demand); a
    Savings Plan is an account-level purchase, so it changes the price only."""

    kind: Literal["capacity-reservation", "capacity-block", "savings-plan"]
    instance_type: str | None = None
    """capacity-reservation, capacity-block: the reserved instance type, one of the pool's GPU family."""
    instances_per_zone: int = Field(1, ge=1)
    block_instances: int = 1
    """capacity-block: instances in the block (1, 2, 4, 8, 16, 32 or 64)."""
    duration_days: int | None = None
    """capacity-block: 1-14 days, or whole weeks up to 182 days."""
    start_date: date | None = None
    """capacity-block: the earliest day the block may start (AWS sells blocks up to 8 weeks ahead)."""
    usd_per_instance_hour: float | None = Field(None, gt=0)
    """capacity-block: the offering's price per instance-hour (its upfront fee / (instances x hours)): Capacity
    Block prices follow supply and demand and are fixed per offering, so the plan takes yours."""
    discount: float | None = Field(None, gt=0, lt=1)
    """savings-plan: the fraction your plan takes off the on-demand rate (e.g. 0.28), from your Savings Plan."""

    @model_validator(mode="after")
    def _fields_of_the_kind(self) -> ReservationSpec:
        if self.kind in ("capacity-reservation", "capacity-block") and self.instance_type is None:
            raise ValueError(f"instance_type: a {self.kind} needs the reserved instance type")
        if self.kind == "savings-plan" and self.discount is None:
            raise ValueError("discount: a savings-plan needs its discount off on-demand (allowed: 0 < discount < 1)")
        if self.kind == "capacity-block":
            self._capacity_block_rules()
        return self

    def _capacity_block_rules(self) -> None:
        if self.instance_type not in CAPACITY_BLOCK_INSTANCE_TYPES:
            raise ValueError(f"instance_type: {self.instance_type!r} is not sold as a capacity block (allowed: "
                             f"{', '.join(CAPACITY_BLOCK_INSTANCE_TYPES)})")
        if self.block_instances not in CAPACITY_BLOCK_INSTANCE_COUNTS:
            raise ValueError(f"block_instances: {self.block_instances} (allowed: "
                             f"{', '.join(map(str, CAPACITY_BLOCK_INSTANCE_COUNTS))})")
        days = self.duration_days
        if days is None or not (1 <= days <= 14 or (days % 7 == 0 and days <= CAPACITY_BLOCK_MAX_DAYS)):
            raise ValueError(f"duration_days: {days} (allowed: 1-14, or a multiple of 7 up to "
                             f"{CAPACITY_BLOCK_MAX_DAYS})")
        if self.start_date is None:
            raise ValueError("start_date: a capacity-block needs the day it may start (YYYY-MM-DD)")
        if self.usd_per_instance_hour is None:
            raise ValueError("usd_per_instance_hour: a capacity-block needs its offering's price per instance-hour "
                             "(aws ec2 describe-capacity-block-offerings: UpfrontFee / (instances x hours))")


class GpuPoolSpec(Section):
    """One Karpenter NodePool of GPU nodes."""

    name: DnsLabel
    gpu: str
    """GPU family, a key of the GPU catalog (H100, H200, B200, A100, L40S, L4, A10G)."""
    instance_types: list[str] = []
    """Allowed instance types; empty = every catalog instance of the family that fits the largest TP on the pool."""
    capacity_types: list[CapacityType] | None = None
    """None = the environment's default (`cluster.default_capacity_types`)."""
    max_gpus: int | None = Field(None, ge=1)
    """NodePool limit on `nvidia.com/gpu`. None = computed from the models placed on this pool."""
    reservation: ReservationSpec | None = None
    """Reserved capacity (On-Demand Capacity Reservation) or a Savings Plan rate for the pool's nodes."""

    @field_validator("gpu")
    @classmethod
    def _known_gpu(cls, value: str) -> str:
        if value not in GPUS:
            raise ValueError(f"unknown GPU family {value!r} (allowed: {', '.join(GPUS)})")
        return value

    @model_validator(mode="after")
    def _instances_of_the_family(self) -> GpuPoolSpec:
        allowed = [instance.name for instance in instances_for(self.gpu)]
        wrong = [name for name in self.instance_types if name not in allowed]
        reserved = self.reservation.instance_type if self.reservation else None
        if reserved is not None and reserved not in (self.instance_types or allowed):
            raise ValueError(f"reservation.instance_type: {reserved!r} is not an instance type of this pool "
                             f"(allowed: {', '.join(self.instance_types or allowed)})")
        if wrong:
            raise ValueError(
                f"instance_types: {wrong} are not {self.gpu} instance types "
                f"(allowed: {', '.join(allowed)})"
            )
        return self


class ClusterSpec(Section):
    kubernetes_version: str = KUBERNETES_VERSION
    """An EKS version of the release calendar in blueprints.versions.EKS_VERSIONS."""
    lifetime_months: int = Field(12, ge=1, le=36)
    """How long the plan expects the cluster to stay on `kubernetes_version` (the plan's lifetime, counted from
    the day of the plan): the cost estimate prices EKS extended support for the part of it past the version's
    end of standard support."""
    endpoint_public_access: bool = False
    """False: the API server is reachable only from the VPC (private presets must keep it so). True: also from
    the internet, but only from `public_access_cidrs` (your operators' and CI's egress addresses)."""
    public_access_cidrs: list[str] = []
    """Required, and never 0.0.0.0/0, when `endpoint_public_access` is true."""
    control_plane_logs: list[ControlPlaneLog] = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    log_retention_days: int = Field(90, ge=1)
    system_nodes: SystemNodesSpec = SystemNodesSpec()
    gpu_pools: list[GpuPoolSpec] = []
    default_capacity_types: list[CapacityType] = ["on-demand"]
    gpu_software: Literal["gpu-operator", "device-plugin"] = "gpu-operator"
    admin_role_arns: list[str] = []
    """IAM roles granted cluster-admin through EKS access entries (break-glass, CI)."""

    @field_validator("kubernetes_version")
    @classmethod
    def _eks_version(cls, value: str) -> str:
        if value not in EKS_VERSIONS:
            raise ValueError(f"unknown EKS version {value!r} (allowed: {', '.join(EKS_VERSIONS)})")
        return value

    @model_validator(mode="after")
    def _endpoint_exposure(self) -> ClusterSpec:
        if not self.endpoint_public_access:
            return self
        if not self.public_access_cidrs:
            raise ValueError("cluster.public_access_cidrs: empty while cluster.endpoint_public_access is true "
                             "(allowed: your operators' CIDRs, e.g. 203.0.113.0/24; or endpoint_public_access false)")
        for cidr in self.public_access_cidrs:
            try:
                network = ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise ValueError(f"cluster.public_access_cidrs: {cidr!r} is not a CIDR block "
                                 "(allowed: e.g. 203.0.113.0/24)") from None
            if network.prefixlen == 0:
                raise ValueError(f"cluster.public_access_cidrs: {cidr!r} opens the Kubernetes API to the whole "
                                 "internet (allowed: your operators' CIDRs, e.g. 203.0.113.0/24)")
        return self

    @model_validator(mode="after")
    def _unique_pools(self) -> ClusterSpec:
        names = [pool.name for pool in self.gpu_pools]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"gpu_pools: duplicate pool names {duplicates}")
        return self


class TrafficSpec(Section):
    """Peak traffic a model must serve, the input to the capacity planner."""

    requests_per_second: float = Field(1.0, gt=0)
    input_tokens: int = Field(1000, ge=1)
    output_tokens: int = Field(300, ge=1)
    streamed_share: float = Field(1.0, ge=0, le=1)
    """Share of the requests that stream their answer (0 to 1). A streamed request costs the gateway 1.6-2.5 times the
    CPU of a whole answer (blueprints/gateway/capacity.py, MEASURED), so its replicas are sized by this share. 1 by
    default: chat clients stream, and an unknown share is sized as the costlier case."""

    @property
    def per_minute(self) -> dict[str, float]:
        """Requests (`rpm`) and input + output tokens (`tpm`) per minute at peak: what gateway limits count."""
        rpm = self.requests_per_second * 60
        return {"rpm": rpm, "tpm": rpm * (self.input_tokens + self.output_tokens)}


class SloSpec(Section):
    ttft_p95_ms: float = Field(1000, gt=0)
    """Time to first token, 95th percentile."""
    tpot_p95_ms: float = Field(50, gt=0)
    """Time per output token after the first, 95th percentile."""
    availability: float = Field(0.995, gt=0, lt=1)
    max_error_ratio: float = Field(0.01, ge=0, lt=1)


VersionLabel = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$")]
"""A published checkpoint version, e.g. `2026-11-01`: part of S3 keys and Kubernetes object names."""


class ModelVersionsSpec(Section):
    """Which published versions of a self-hosted model run, and how traffic is split between them.

    Rollback is one line: canary -> drop `candidate` (or set `candidate_weight: 0`); blue-green -> `active: stable`.
    """

    stable: VersionLabel
    """The version serving production traffic (`models/<name>/<stable>/` in the artifacts bucket)."""
    candidate: VersionLabel | None = None
    """A new version deployed beside the stable one; None = only the stable version runs."""
    candidate_weight: int = Field(0, ge=0, le=100)
    """Canary: percent of requests the gateway sends to the candidate. 0 = deployed but receives no traffic."""
    strategy: Literal["canary", "blue-green"] = "canary"
    """`canary`: weighted split between both versions. `blue-green`: both run at full size, `active` takes all."""
    active: Literal["stable", "candidate"] = "stable"
    """Blue-green: the version that receives every request; switching it is the cut-over (and the rollback)."""

    @model_validator(mode="after")
    def _consistent(self) -> ModelVersionsSpec:
        if self.candidate is None:
            if self.candidate_weight:
                raise ValueError(f"candidate_weight: {self.candidate_weight} needs a candidate version "
                                 "(allowed: 0 without candidate)")
            if self.active == "candidate":
                raise ValueError("active: 'candidate' needs a candidate version (allowed: stable)")
            return self
        if self.candidate == self.stable:
            raise ValueError(f"candidate: {self.candidate!r} is the stable version (allowed: a different version)")
        if self.strategy == "canary" and self.active != "stable":
            raise ValueError("active: a canary keeps 'stable' active and shifts traffic with candidate_weight "
                             "(allowed: stable; or set strategy: blue-green)")
        if self.strategy == "blue-green" and self.candidate_weight:
            raise ValueError(f"candidate_weight: {self.candidate_weight} has no effect with strategy blue-green "
                             "(allowed: 0; switch traffic with active)")
        return self


class AutoscalingSpec(Section):
    """Pod autoscaling of a self-hosted model on its server's own metrics (KEDA); nodes follow via Karpenter."""

    target_waiting_requests: float = Field(4, gt=0)
    """Requests queued in trtllm-serve per replica before another replica is added."""
    kv_cache_utilization_target: float = Field(0.8, gt=0, le=1)
    """Mean KV-cache utilisation across replicas above which another replica is added."""
    cooldown_seconds: int = Field(300, ge=30)
    """Quiet time before scaling in (and to zero); GPU pods take minutes to come back."""


class ProviderEndpointSpec(Section):
    """Where the gateway reaches a model of a hosted provider other than Bedrock (blueprints/catalog/providers.py).

    - openai, anthropic: nothing required; `api_base` replaces the provider's public address (a proxy, a test).
    - azure: `api_base` (https://<resource>.openai.azure.com), `api_version` and `location` (the resource's Azure
      region, where a Standard deployment processes prompts); `deployment` defaults to the model's catalog name.
    - vertex: `project` and `location` (a Vertex AI location such as europe-west4)."""

    api_base: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+")] | None = None
    api_version: str | None = None
    deployment: str | None = None
    project: str | None = None
    location: str | None = None


_PROVIDER_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # hosting: (required fields, allowed fields) of `provider`
    "openai": ((), ("api_base",)),
    "anthropic": ((), ("api_base",)),
    "azure": (("api_base", "api_version", "location"), ("api_base", "api_version", "deployment", "location")),
    "vertex": (("project", "location"), ("api_base", "project", "location")),
}

Hosting = Literal["self-hosted", "bedrock", "openai", "anthropic", "azure", "vertex"]


class ModelSpec(Section):
    """A model the gateway serves: self-hosted on a GPU pool, or hosted (Amazon Bedrock, OpenAI, Anthropic, Azure
    OpenAI, Google Vertex AI)."""

    name: DnsLabel
    """The name clients ask for (`model` in the OpenAI API)."""
    hosting: Hosting = "self-hosted"
    model: str
    """Self-hosted: architecture key of the model catalog. Bedrock: key of the hosted-model catalog. Other
    providers: key of that provider's catalog (blueprints/catalog/providers.py)."""
    checkpoint: str | None = None
    """Self-hosted: the quantized checkpoint in the artifacts bucket, e.g. nvidia/Llama-3.1-8B-Instruct-FP8."""
    precision: Precision = "fp8"
    gpu_pool: str | None = None
    tp: int = Field(1, ge=1)
    """Tensor-parallel degree = GPUs per pod."""
    min_replicas: int | None = Field(None, ge=0)
    """None = the environment's default (`serving.default_min_replicas`)."""
    max_replicas: int | None = Field(None, ge=1)
    """None = computed by the capacity planner from traffic and SLOs."""
    traffic: TrafficSpec = TrafficSpec()
    slo: SloSpec = SloSpec()
    versions: ModelVersionsSpec | None = None
    """Self-hosted: the published checkpoint versions and the rollout between them (required; ignored for
    bedrock models)."""
    autoscaling: AutoscalingSpec = AutoscalingSpec()
    prefix_caching: bool = True
    """Self-hosted: reuse KV-cache blocks of shared prompt prefixes (system prompts, RAG context)."""
    provider: ProviderEndpointSpec = ProviderEndpointSpec()
    """Hosted providers other than Bedrock only: where the gateway reaches the model."""

    @property
    def provider_region(self) -> str:
        """Where a provider other than Bedrock processes prompts: its `location`, else `global`."""
        return self.provider.location or GLOBAL

    def _provider_fields(self) -> ModelSpec:
        if self.model not in PROVIDER_MODELS[self.hosting]:
            raise ValueError(f"model: unknown {self.hosting} model {self.model!r} "
                             f"(allowed: {', '.join(PROVIDER_MODELS[self.hosting])})")
        if self.gpu_pool is not None:
            raise ValueError(f"gpu_pool: a {self.hosting} model runs on no GPU pool; remove gpu_pool")
        required, allowed = _PROVIDER_FIELDS[self.hosting]
        given = self.provider.model_dump(exclude_none=True)
        for field in required:
            if field not in given:
                raise ValueError(f"provider.{field}: required for hosting {self.hosting!r} "
                                 f"(required: {', '.join(required)})")
        for field in given:
            if field not in allowed:
                raise ValueError(f"provider.{field}: not used by hosting {self.hosting!r} "
                                 f"(allowed: {', '.join(allowed)})")
        regions = PROVIDER_FACTS[self.hosting].regions  # type: ignore[index]
        if regions is not None and self.provider_region not in regions:
            raise ValueError(f"provider.location: {self.provider_region!r} (allowed: {', '.join(regions)})")
        return self

    @model_validator(mode="after")
    def _hosting_fields(self) -> ModelSpec:
        if self.hosting in PROVIDERS:
            return self._provider_fields()
        if self.hosting == "bedrock":
            if self.model not in HOSTED_MODELS:
                raise ValueError(f"model: unknown hosted model {self.model!r} (allowed: {', '.join(HOSTED_MODELS)})")
            if self.gpu_pool is not None:
                raise ValueError("gpu_pool: a bedrock model runs on no GPU pool; remove gpu_pool")
            return self
        if self.model not in MODELS:
            raise ValueError(f"model: unknown model architecture {self.model!r} (allowed: {', '.join(MODELS)})")
        if self.gpu_pool is None:
            raise ValueError("gpu_pool: a self-hosted model needs a gpu_pool (a name from cluster.gpu_pools)")
        if self.tp & (self.tp - 1):
            raise ValueError(f"tp: must be a power of two (got {self.tp}; allowed: 1, 2, 4, 8)")
        if self.min_replicas is not None and self.max_replicas is not None and self.min_replicas > self.max_replicas:
            raise ValueError(f"min_replicas ({self.min_replicas}) is larger than max_replicas ({self.max_replicas})")
        if self.versions is None:
            raise ValueError("versions: a self-hosted model needs versions.stable (the published checkpoint "
                             "version, e.g. 2026-11-01)")
        return self


class ServingSpec(Section):
    models: list[ModelSpec] = []
    default_min_replicas: int = Field(1, ge=0)
    """Warm minimum per self-hosted model unless the model sets one; dev uses 0 (scale to zero)."""
    engine: Literal["trtllm-serve", "triton"] = "trtllm-serve"
    """`trtllm-serve`: the OpenAI-compatible server (primary). `triton`: Triton with the LLM-API backend."""


class ModelLimitSpec(Section):
    """Gateway limits of one model (per deployment, shared by every gateway replica through Redis)."""

    rpm: int | None = Field(None, ge=1)
    """Requests per minute. None = computed: `gateway.limit_headroom` x the model's planned peak traffic."""
    tpm: int | None = Field(None, ge=1)
    """Tokens (input + output) per minute. None = computed like `rpm`."""


class TieredRoutingSpec(Section):
    """Complexity-based routing: simple and medium requests go to the small model, complex ones to the large."""

    model_name: DnsLabel = "auto"
    """The name clients ask for to be routed by complexity."""
    small: str | None = None
    """None = computed: the smallest chat model (self-hosted before hosted, then by parameters or price)."""
    large: str | None = None
    """None = computed: the largest chat model by the same order."""


class SegmentRuleSpec(Section):
    """Sends one segment of callers to a variant, whatever the user split says. Exactly one of `team`, `key`,
    `header` is set; the first matching rule of an experiment wins."""

    variant: DnsLabel
    team: str | None = Field(None, min_length=1)
    """The caller's team (LiteLLM team alias or id)."""
    key: str | None = Field(None, min_length=1)
    """The caller's virtual key alias."""
    header: str | None = Field(None, pattern=r"^[A-Za-z0-9-]+=.+$")
    """`Name=value`: a request header (name case-insensitive) with exactly this value."""

    @model_validator(mode="after")
    def _one_selector(self) -> SegmentRuleSpec:
        chosen = [name for name in ("team", "key", "header") if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError(f"a segment rule selects by exactly one of team, key, header (got "
                             f"{', '.join(chosen) or 'none'})")
        return self


class ExperimentSpec(Section):
    """An A/B test between running versions of one self-hosted model: requests for `model` go to the variant of
    their segment (rules first, then a stable hash of the user id split by `split`), so a user stays on one
    variant; every request, metric and log line carries it (README, "A/B by user segment")."""

    name: DnsLabel
    model: DnsLabel
    variants: dict[DnsLabel, str]
    """Variant label -> the model version it serves (stable or candidate of `model`)."""
    split: dict[DnsLabel, int]
    """Variant label -> percent of users (by user id hash) it receives; the percents sum to 100."""
    rules: list[SegmentRuleSpec] = []

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentSpec:
        if len(self.variants) < 2:
            raise ValueError(f"variants: an experiment compares at least two variants (got {len(self.variants)})")
        if len(set(self.variants.values())) != len(self.variants):
            raise ValueError(f"variants: {self.variants} names a model version twice (allowed: one variant per "
                             "version)")
        known = ", ".join(self.variants)
        for label, weight in self.split.items():
            if label not in self.variants:
                raise ValueError(f"split.{label}: unknown variant (allowed: {known})")
            if not 0 <= weight <= 100:
                raise ValueError(f"split.{label}: {weight} is not a percent (allowed: 0-100)")
        if sum(self.split.values()) != 100:
            raise ValueError(f"split: the percents {self.split} sum to {sum(self.split.values())} (allowed: 100)")
        for index, rule in enumerate(self.rules):
            if rule.variant not in self.variants:
                raise ValueError(f"rules[{index}].variant: unknown variant {rule.variant!r} (allowed: {known})")
        return self


def _cidr_blocks(cidrs: list[str] | None) -> list[str] | None:
    for cidr in cidrs or []:
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            raise ValueError(f"{cidr!r} is not a CIDR block (allowed: e.g. 10.0.0.0/8, 203.0.113.0/24)") from None
    return cidrs


HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s]*)?$",
                                            max_length=2000)]
"""A full https:// URL (what the ALB's authenticate-oidc action requires of every IdP address)."""


class SsoSpec(Section):
    """Single sign-on for people: the admin UI and the gateway's login pages sit behind an OpenID Connect
    identity provider (blueprints/gateway/sso.py); API clients keep calling /v1/* with their keys. Take the
    addresses from the IdP's /.well-known/openid-configuration. The client secret is not part of the spec: `pulumi
    config set --secret llm-platform:ssoClientSecret <value>` (stored in Secrets Manager)."""

    issuer: HttpsUrl
    authorization_endpoint: HttpsUrl
    token_endpoint: HttpsUrl
    user_info_endpoint: HttpsUrl
    client_id: str = Field(min_length=1, max_length=255, pattern=r"^\S+$")
    scope: str = "openid email profile"
    """Scopes asked for; must include `openid`."""
    session_timeout_s: int = Field(28800, ge=1, le=604800)
    """How long a sign-in lasts before the load balancer asks the IdP again (AWS allows 1 s to 7 days)."""
    idp_cidrs: list[str] | None = None
    """Where the load balancer itself reaches the token and user-info endpoints (HTTPS). None = anywhere, which
    needs a route to the internet: a private platform names the IdP's networks instead (reached through your VPN,
    Direct Connect or peering; the endpoints' DNS names must still resolve publicly, to these addresses)."""
    group_teams: dict[str, str] = {}
    """IdP group -> name of a team in `access.teams`: a signed-in person calls models through the browser session as
    a member of the team of their first group, in this order, that is listed here (blueprints/gateway/
    alb_identity_auth.py); a person in none of them is refused. Empty = no calls through the browser session."""
    groups_claim: str = Field("groups", min_length=1, max_length=128, pattern=r"^\S+$")
    """The user-info claim holding the person's groups (a list of names, or one name)."""

    @field_validator("idp_cidrs")
    @classmethod
    def _idp_cidrs(cls, cidrs: list[str] | None) -> list[str] | None:
        return _cidr_blocks(cidrs)

    @field_validator("scope")
    @classmethod
    def _openid_scope(cls, scope: str) -> str:
        if "openid" not in scope.split():
            raise ValueError(f"scope {scope!r} lacks 'openid' (allowed: space-separated scopes including openid, "
                             "e.g. 'openid email profile')")
        return scope


FilterStrength = Literal["NONE", "LOW", "MEDIUM", "HIGH"]


class BedrockGuardrailSpec(Section):
    """Bedrock Guardrails on the gateway (blueprints/gateway/guardrails.py): a guardrail and a published version of
    it, created with the platform, that LiteLLM's `bedrock` guardrail applies to every prompt (pre_call) and answer
    (post_call, streams included) through Bedrock's ApplyGuardrail API; blocked ones are refused with a 400."""

    filter_strength: FilterStrength = "HIGH"
    """Strength of the content filters (hate, insults, sexual, violence, misconduct) on prompts and answers."""
    prompt_attack_strength: FilterStrength = "HIGH"
    """Strength of the prompt-attack (jailbreak, prompt injection) filter; prompts only (Bedrock's rule)."""
    blocked_message: str = Field("Sorry, this request is not allowed by the content policy.", min_length=1,
                                 max_length=500)
    """What Bedrock returns in place of blocked content (the guardrail's blocked messaging)."""


class GatewaySpec(Section):
    """LiteLLM behind an ALB with TLS and WAF."""

    internet_facing: bool = True
    """False = internal ALB reachable only from the VPC / peered networks."""
    domain_name: str | None = Field(None, pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
    """Host name clients call; the ACM certificate is issued for it (DNS validation). Needed unless
    `certificate_arn` names an existing certificate."""
    hosted_zone_id: str | None = None
    """Route 53 zone of `domain_name`: validation records are created there. None = the DNS owner creates
    the validation records shown in the certificate's outputs."""
    certificate_arn: str | None = Field(None, pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/.+$")
    """An existing ACM certificate to serve instead of issuing one."""
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    """ALB TLS policy: TLS 1.3 and 1.2 only."""
    allowed_cidrs: list[str] | None = None
    """Client CIDRs the ALB accepts. None = anywhere for an internet-facing ALB, the VPC for an internal one."""
    waf: bool = True
    waf_rate_limit: int = Field(2000, ge=10, le=2_000_000_000)
    """WAF rate-based rule: requests per 5 minutes from one client IP before it is blocked."""
    access_log_retention_days: int = Field(90, ge=1)
    """ALB access logs kept this long in their S3 bucket."""
    database_min_capacity_acu: float = Field(0.5, ge=0, le=256)
    """The gateway's Aurora Serverless v2 (keys, teams, spend; runtime `eks`) floor in ACUs (1 ACU ~ 2 GiB)."""
    database_max_capacity_acu: float = Field(4.0, ge=1, le=256)
    """Its ceiling: LiteLLM reads keys through its cache and writes spend in batches, so the load stays small."""
    replicas: int = Field(2, ge=1)
    """Minimum gateway replicas (HPA floor)."""
    max_replicas: int | None = Field(None, ge=1)
    """HPA ceiling. None = 3 x `replicas`."""
    cpu: int = Field(2, ge=1, le=16)
    """vCPUs per replica (request = limit). LiteLLM runs one worker per vCPU."""
    memory_mib: int = Field(4096, ge=1024)
    max_tokens: int = Field(4096, ge=1)
    """Ceiling on `max_tokens` per request: larger requests are clamped, requests without one get it."""
    rpm_per_key: int = Field(600, ge=1)
    """Default requests per minute of a virtual key (enforced once keys are issued from the database)."""
    tpm_per_key: int = Field(200_000, ge=1)
    """Default tokens per minute of a virtual key (same)."""
    model_limits: dict[str, ModelLimitSpec] = {}
    """Model name -> its rpm/tpm limit; models not listed get computed limits."""
    limit_headroom: float = Field(2.0, ge=1.0)
    """Computed model limits = this x the model's planned peak traffic."""
    request_timeout_s: float = Field(600, gt=0)
    """Longest a request may take end to end (ALB idle timeout, drain time); also the ceiling of every
    deployment's own timeout. A non-streaming request fails over after min(this, 2 x (TTFT p95 + `max_tokens` x
    TPOT p95)) of its model's SLO: the longest answer the SLO allows, twice."""
    stream_timeout_s: float | None = Field(None, gt=0)
    """Longest a streaming request may wait for its first token, or for the next one, before the deployment
    counts as failed. None = per model, 2 x its TTFT p95."""
    num_retries: int = Field(2, ge=0, le=10)
    """Retries within a model that has several deployments (canary, blue-green) or no fallback. A model with one
    deployment and a fallback fails over at once (LiteLLM would retry that same deployment after a backoff)."""
    allowed_fails: int = Field(1, ge=0, le=100)
    """Failures of one deployment tolerated within `cooldown_seconds` (per gateway worker); the next one takes it
    out of rotation (circuit breaker). Refused connections never count: LiteLLM fails over on them at once."""
    cooldown_seconds: int = Field(30, ge=1)
    """How long a deployment stays out of rotation once `allowed_fails` is exceeded."""
    fallbacks: dict[str, list[str]] = {}
    """Model name -> models tried in order when it fails (e.g. self-hosted -> Bedrock). The gateway admits at
    least the planned traffic of every model that falls back to a target on top of the target's own."""
    pii_masking: bool = False
    """Mask PII in prompts and responses with LiteLLM's built-in content filter (no external service)."""
    pii_patterns: list[str] = list(DEFAULT_PII_PATTERNS)
    """Prebuilt patterns masked when `pii_masking` is on."""
    tiered_routing: bool = False
    """Cache -> small model -> large model by request complexity."""
    tiers: TieredRoutingSpec = TieredRoutingSpec()
    inference_routing: bool = False
    """Route to self-hosted models with more than one replica through the Gateway API Inference Extension
    (Envoy + endpoint picker choosing pods by queue length and KV-cache use) instead of their Service."""
    data_plane: Literal["auto", "litellm", "envoy"] = "auto"
    """Who carries model requests: `litellm`, or `envoy` (Envoy AI Gateway routing and per-key rate limits in front,
    LiteLLM on the policy path: blueprints/gateway/envoy_data_plane.py; the ALB sends the model paths to Envoy).
    `auto` = envoy once the planned peak needs more gateway cores than blueprints/gateway/capacity.py's
    ENVOY_ABOVE_CORES."""
    experiments: list[ExperimentSpec] = []
    """A/B tests by user segment; none by default."""
    bedrock_guardrail: BedrockGuardrailSpec | None = None
    """Content filtering by Bedrock Guardrails on every request of a gateway that routes to Bedrock; None = off."""
    sso: SsoSpec | None = None
    """Single sign-on for the admin UI (an OIDC identity provider); None = the UI takes the master key."""

    @field_validator("pii_patterns")
    @classmethod
    def _known_patterns(cls, patterns: list[str]) -> list[str]:
        unknown = [pattern for pattern in patterns if pattern not in PII_PATTERNS]
        if unknown:
            raise ValueError(f"unknown PII patterns {unknown} (allowed: {', '.join(PII_PATTERNS)})")
        return patterns

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs(cls, cidrs: list[str] | None) -> list[str] | None:
        return _cidr_blocks(cidrs)

    @model_validator(mode="after")
    def _database_capacity(self) -> GatewaySpec:
        if self.database_min_capacity_acu > self.database_max_capacity_acu:
            raise ValueError(
                f"database_min_capacity_acu: {self.database_min_capacity_acu} is larger than database_max_capacity_acu "
                f"({self.database_max_capacity_acu}; allowed: <= {self.database_max_capacity_acu})")
        return self

    @property
    def hpa_max_replicas(self) -> int:
        return self.max_replicas or 3 * self.replicas


class AccessSpec(Section):
    """Who may call the gateway: teams with their allowed models, budgets and rate limits, kept in the gateway's
    database (LiteLLM teams) by the key reconciler Job on each `pulumi up` (blueprints/access). Keys of a team are
    issued with `python -m blueprints keys issue --team <name>`."""

    teams: list[TeamSpec] = []
    """None by default: only the master key and keys issued without a team."""


class CacheSpec(Section):
    """Response cache on ElastiCache for Valkey (also the gateway's shared state across workers and replicas)."""

    enabled: bool = False
    """Exact-match response cache. The Valkey group also exists without it when the gateway has more than one
    worker or replica (shared rate-limit counters and cooldowns)."""
    semantic: bool = False
    """Also answer prompts that mean the same as a cached one (embedding similarity)."""
    semantic_similarity_threshold: float = Field(0.9, gt=0, le=1)
    """Cosine similarity above which a cached answer is reused."""
    semantic_embedding_model: str = "titan-embed-text-v2"
    """Bedrock embedding model (hosted-model catalog) the semantic cache embeds prompts with."""
    node_type: str = "cache.t4g.small"
    """ElastiCache node type, one of the priced types in blueprints.catalog.aws_prices."""
    multi_az: bool = False
    """A replica in another AZ with automatic failover."""
    replicas: int | None = Field(None, ge=0, le=5)
    """Read replicas besides the primary. None = 1 when `multi_az`, else 0."""
    ttl_seconds: int = Field(3600, ge=1)
    snapshot_retention_days: int = Field(1, ge=0, le=35)

    @field_validator("node_type")
    @classmethod
    def _priced_node(cls, value: str) -> str:
        if value not in VALKEY_NODE_USD_PER_HOUR:
            raise ValueError(f"unknown node type {value!r} (allowed: {', '.join(VALKEY_NODE_USD_PER_HOUR)})")
        return value

    @field_validator("semantic_embedding_model")
    @classmethod
    def _embedding_model(cls, value: str) -> str:
        embedding = [name for name, model in HOSTED_MODELS.items() if model.kind == "embedding"]
        if value not in embedding:
            raise ValueError(f"{value!r} is not a hosted embedding model (allowed: {', '.join(embedding)})")
        return value

    @property
    def replica_count(self) -> int:
        return (1 if self.multi_az else 0) if self.replicas is None else self.replicas


class RetrievalSpec(Section):
    """RAG data plane: a vector store, an embedding model, a documents bucket and the ingestion identity.

    S3 Vectors is not offered as a vector store: the pinned provider (pulumi-aws 7.51.1) has no resource for it,
    so it could not be built from primitives that the offline plan and the policy packs see.
    """

    enabled: bool = False
    vector_store: Literal["pgvector", "opensearch", "qdrant"] = "pgvector"
    """`pgvector`: Aurora PostgreSQL Serverless v2 with pgvector (IAM auth, RDS-managed master password).
    `opensearch`: an OpenSearch Serverless VECTORSEARCH collection behind a VPC endpoint.
    `qdrant`: Qdrant in the cluster from its upstream chart (opt-in; API key, persistent volumes)."""
    embedding_model: str = "titan-embed-text-v2"
    """Key of the embedding catalog (blueprints/catalog/embeddings.py)."""
    embedding_hosting: EmbeddingHosting = "bedrock"
    """`bedrock`: Amazon Bedrock through the gateway. `self-hosted`: a text-embeddings-inference server in the
    cluster, also routed through the gateway. Must be where the catalog says the model runs."""
    embedding_dimension: int = Field(1024, ge=8)
    """The vector index is created with this dimension; it must be one the model produces."""
    index_name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = "documents"
    """pgvector: the index alias the retrieval service reads by default (versions in the `rag_*` tables);
    OpenSearch: the index; Qdrant: the collection holding the chunks."""
    multi_az: bool = False
    """Aurora: a reader instance in a second AZ; OpenSearch: standby replicas; Qdrant: 3 replicas; embedding
    server: 2 replicas with a PodDisruptionBudget. The prod overlay turns it on."""
    min_capacity_acu: float = Field(0.5, ge=0, le=256)
    """Aurora Serverless v2 floor in ACUs (1 ACU ~ 2 GiB); 0 lets an idle dev database pause."""
    max_capacity_acu: float = Field(16, ge=1, le=256)
    backup_retention_days: int = Field(7, ge=1, le=35)
    qdrant_volume_gib: int = Field(50, ge=1)
    """Persistent volume per Qdrant pod (gp3, encrypted)."""

    @model_validator(mode="after")
    def _embedding_fits_catalog(self) -> RetrievalSpec:
        model = EMBEDDING_MODELS.get(self.embedding_model)
        if model is None:
            raise ValueError(
                f"embedding_model: unknown embedding model {self.embedding_model!r}; "
                f"allowed: {', '.join(EMBEDDING_MODELS)}"
            )
        if self.embedding_hosting != model.hosting:
            raise ValueError(
                f"embedding_hosting: {self.embedding_model} does not run on {self.embedding_hosting!r} "
                f"(allowed: {model.hosting})"
            )
        if self.embedding_dimension not in model.dimensions:
            raise ValueError(
                f"embedding_dimension: {self.embedding_model} produces no {self.embedding_dimension}-dimension "
                f"vectors (allowed: {', '.join(map(str, sorted(model.dimensions)))})"
            )
        if self.min_capacity_acu > self.max_capacity_acu:
            raise ValueError(
                f"min_capacity_acu: {self.min_capacity_acu} is larger than max_capacity_acu "
                f"({self.max_capacity_acu}; allowed: <= {self.max_capacity_acu})"
            )
        return self


class SecretsSpec(Section):
    """Keys and credentials. Every credential the platform creates lives in Secrets Manager, generated there
    (RDS-managed passwords, or a rotation function) so no value is ever in stack config or state."""

    customer_managed_keys: bool = True
    """Encrypt with the platform's own KMS keys, one per data class and region (components/keys.py), whose key
    policies and grants name every user (about $1 a key a month). False: no key is created and each service uses
    its AWS-managed key (aws/ebs, aws/s3, aws/secretsmanager, ...; log groups and the alert topic stay on their
    service's own encryption). Whether a stack may turn it off is a policy's call: the regulated pack requires it
    (kms-customer-managed-keys)."""
    external_secrets: bool = True
    """External Secrets Operator syncs Secrets Manager values into Kubernetes Secrets; Kubernetes Secrets are
    never written from stack config. Workloads that need a credential require it."""
    rotation_days: int = Field(90, ge=1, le=365)
    """Rotation interval of generated credentials (API keys, auth tokens); RDS rotates its own every 7 days."""


class ObservabilitySpec(Section):
    """Metrics, dashboards, alerts, logs and traces."""

    stack: Literal["kube-prometheus", "managed"] = "kube-prometheus"
    """`kube-prometheus`: Prometheus, Alertmanager and Grafana in the cluster (kube-prometheus-stack).
    `managed`: a Prometheus agent in the cluster remote-writes to Amazon Managed Prometheus, which evaluates the
    rules; dashboards live in Amazon Managed Grafana."""
    metrics_retention_days: int = Field(15, ge=1, le=1095)
    """How long metrics are kept (in-cluster Prometheus TSDB, or the AMP workspace's retention)."""
    metrics_volume_gib: int = Field(50, ge=10)
    """Persistent volume of the in-cluster Prometheus (kube-prometheus only)."""
    log_retention_days: int = Field(30, ge=1)
    """Retention of the CloudWatch log group that Fluent Bit ships container logs to (KMS-encrypted)."""
    tracing: bool = False
    """Run an OpenTelemetry collector that receives OTLP traces (GenAI semantic conventions) and exports to X-Ray."""
    trace_sampling_percent: float = Field(10, gt=0, le=100)
    """Share of traces kept by the collector's probabilistic sampler."""
    alert_emails: list[str] = []
    """Addresses subscribed to the alert SNS topic (Alertmanager/AMP alerts, budgets, cost anomalies)."""

    @field_validator("alert_emails")
    @classmethod
    def _emails(cls, emails: list[str]) -> list[str]:
        for email in emails:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                raise ValueError(f"{email!r} is not an e-mail address (allowed: name@example.com)")
        return emails


class AuditSpec(Section):
    """Tamper-evident audit trail: CloudTrail, the audit bucket and the gateway's request records."""

    cloudtrail: bool = False
    """A multi-region CloudTrail trail (log-file validation, KMS) into the audit bucket, created once per platform."""
    retention_days: int = Field(365, ge=1, le=36500)
    """How long audit records are kept (and, with object_lock, locked in COMPLIANCE mode); expired afterwards."""
    object_lock: bool = False
    """S3 Object Lock in COMPLIANCE mode on the audit bucket: nobody, root included, can delete or shorten it."""
    archive_after_days: int = Field(90, ge=1)
    """Audit objects move to S3 Glacier Instant Retrieval after this many days."""
    log_prompts: bool = False
    """Store (redacted) prompts in gateway audit records; off unless a preset allows it."""


class BudgetSpec(Section):
    """AWS Budgets and Cost Anomaly Detection for this environment."""

    monthly_usd: float | None = Field(None, gt=0)
    """None = no AWS Budget."""
    alert_thresholds_percent: list[int] = [80, 100]
    """Actual-spend notifications at these percentages of `monthly_usd` (plus a forecast notification at 100)."""
    anomaly_detection: bool = True
    """A Cost Anomaly Detection monitor over AWS services with a daily subscription to the alert topic."""
    anomaly_threshold_usd: float = Field(100, gt=0)
    """Report an anomaly once its total cost impact reaches this many USD."""

    @field_validator("alert_thresholds_percent")
    @classmethod
    def _thresholds(cls, thresholds: list[int]) -> list[int]:
        if not thresholds:
            raise ValueError("at least one threshold is required (allowed: 1..1000, e.g. [80, 100])")
        for threshold in thresholds:
            if not 1 <= threshold <= 1000:
                raise ValueError(f"threshold {threshold} is out of range (allowed: 1..1000)")
        if len(set(thresholds)) != len(thresholds):
            raise ValueError(f"thresholds are listed twice: {thresholds}")
        return sorted(thresholds)


class UsageSpec(Section):
    """Traffic assumptions behind the usage lines of the cost estimate (`plan`): hosted tokens, data processed,
    logs, transfer. Volumes follow each model's `traffic` at `mean_load_of_peak`."""

    mean_load_of_peak: float = Field(0.3, gt=0, le=1)
    """Mean traffic over a month as a fraction of each model's stated peak (`traffic.requests_per_second`)."""
    cache_hit_rate: float = Field(0.1, ge=0, lt=1)
    """Share of requests the response cache answers (with `cache.enabled`); they reach no model."""
    bytes_per_token: float = Field(4.0, gt=0)
    """Bytes on the wire per prompt or completion token (JSON over HTTPS)."""
    log_bytes_per_request: int = Field(2048, ge=0)
    """CloudWatch Logs bytes each request writes (gateway access and audit lines)."""
    model_publishes_per_month: float = Field(1.0, ge=0)
    """Checkpoint versions published per self-hosted model and month; each is replicated to every other region."""


class ComplianceSpec(Section):
    level: ComplianceLevel = "basic"
    frameworks: list[Framework] = []
    allow_hosted_models: bool = True
    """False forbids sending prompts to hosted APIs (Bedrock): every model must be self-hosted."""


class BatchSpec(Section):
    """The asynchronous batch tier: an OpenAI Batch API-compatible jobs API (upload a JSONL file, create a batch,
    poll it, download results) and a queue worker that calls the gateway. Off unless a preset enables it."""

    enabled: bool = False
    concurrency: int = Field(8, ge=1, le=256)
    """Upstream requests one worker pod keeps in flight."""
    retries: int = Field(4, ge=0, le=10)
    """Retries of a retryable upstream failure (429, 5xx, timeouts) within one delivery, with exponential
    backoff and full jitter; then the message returns to the queue for a later delivery."""
    max_deliveries: int = Field(3, ge=1, le=20)
    """Deliveries of one line before its message moves to the dead-letter queue and the line is reported in the
    batch's error file."""
    max_lines: int = Field(50_000, ge=1, le=50_000)
    """Requests per batch input file (the OpenAI Batch API's own limit is 50,000)."""
    max_file_mib: int = Field(200, ge=1, le=512)
    """Largest input file the jobs API accepts."""
    request_timeout_s: float = Field(300, gt=0, le=3600)
    """Timeout of one upstream request; the queue's visibility timeout covers every retry of one delivery."""
    messages_per_worker: int = Field(50, ge=1)
    """Queue depth per worker pod at which KEDA adds another pod (0 messages: no pods)."""
    max_workers: int = Field(10, ge=1, le=500)
    """Most worker pods (KEDA maxReplicaCount)."""
    spot: bool = True
    """Workers run on a Karpenter spot NodePool (on-demand fallback) where the platform runs Karpenter (any GPU
    pool); a reclaimed worker's messages simply return to the queue. False, or no Karpenter: system nodes."""
    retention_days: int = Field(30, ge=1, le=3650)
    """Input files, results and job records are deleted this many days after they are written."""


class EvaluationSpec(Section):
    """The release gate: while a self-hosted model has a candidate version, a Kubernetes Job (`eval gate`) scores
    stable and candidate on the model's golden set through the gateway and stores both results and the verdict in
    the artifacts bucket (`evals/<model>/<candidate>/`); `rollout step --eval` promotes only a candidate that is
    not worse. Off unless a preset enables it."""

    enabled: bool = False
    golden: dict[str, str] = {}
    """Golden set per self-hosted model name: a starter set (assistant, rag-qa, extraction) or a JSONL path
    relative to the project. A model without one is gated on the `assistant` starter set."""
    margin: float = Field(0.1, gt=0, lt=1)
    """Non-inferiority margin on the pass rate (`eval compare --margin`)."""
    repeats: int = Field(1, ge=1, le=20)
    concurrency: int = Field(8, ge=1, le=256)
    """Requests the Job keeps in flight through the gateway."""


class FeedbackSpec(Section):
    """The feedback service (`POST /v1/feedback` on the gateway's ALB, ratings in DynamoDB) and the online quality
    signals that need more than the gateway's own callback: sampled LLM-judge scores and prompt drift. A sampled
    answer's prompt and text wait in the gateway's Redis (a capped list, removed when read) for the quality worker
    (blueprints/feedback/quality.py), off the request's path. Off unless a preset enables it (EKS, with the
    gateway's Redis)."""

    enabled: bool = False
    judge_model: str | None = None
    """A served model (`serving.models[].name`) that scores sampled answers 1-5 through the gateway
    (blueprints/evaluation/judge.py); None: no judge scores."""
    judge_rubric: str = Field("The answer is correct, relevant to the question and helpful.", min_length=1)
    judge_sample_percent: float = Field(1.0, ge=0, le=100)
    """Share of answers the judge scores (each costs one judge call)."""
    drift_sample_percent: float = Field(5.0, ge=0, le=100)
    """Share of prompts embedded (wordllama, in the worker) and counted per prompt cluster for drift."""
    down_share_threshold: float = Field(0.3, gt=0, lt=1)
    """FeedbackThumbsDownHigh fires when a model version's share of thumbs-down ratings over 6 h exceeds this."""
    min_ratings: int = Field(20, ge=1)
    """Ratings a version needs in the window before its thumbs-down share may alert."""
    drift_psi_threshold: float = Field(0.2, gt=0)
    """PromptDriftHigh fires when the PSI of the last day's prompt clusters vs the same day a week earlier
    exceeds this (0.1-0.2: moderate, over 0.2: a significant shift)."""
    min_drift_prompts: int = Field(200, ge=1)
    """Sampled prompts a model group needs in each window before drift may alert."""

    def samples_prompts(self) -> bool:
        return self.enabled and (self.drift_sample_percent > 0 or
                                 (self.judge_model is not None and self.judge_sample_percent > 0))


class FewShotSpec(Section):
    """One example exchange placed after the system prompt."""

    user: str = Field(min_length=1)
    assistant: str = Field(min_length=1)


ROUTABLE_ENGINES = ("trtllm-serve",)
"""Engines whose queue and KV-cache gauges the endpoint picker (inferencepool chart v1.5.0) knows by name: its
built-in engine configs (gateway-api-inference-extension v1.5.0, pkg/epp/framework/plugins/datalayer/extractor/
metrics/factories.go) cover vLLM, SGLang, trtllm-serve and Triton's TensorRT-LLM C++ backend; the Triton variant
here runs the LLM-API (python) backend, whose metrics are Triton's core ones."""
PROMPT_DOCUMENT_LIMIT_BYTES = 8192
"""A stored prompt version is one SSM SecureString parameter: 8 KiB at most (advanced tier)."""


class PromptVersionSpec(Section):
    """One immutable version of a prompt template: a system prompt and optional few-shot examples."""

    version: VersionLabel
    system: str = Field(min_length=1)
    few_shot: list[FewShotSpec] = []

    @model_validator(mode="after")
    def _fits_a_parameter(self) -> PromptVersionSpec:
        size = len(self.model_dump_json().encode())
        if size > PROMPT_DOCUMENT_LIMIT_BYTES:
            raise ValueError(f"prompt version {self.version!r} is {size} bytes as stored (allowed: at most "
                             f"{PROMPT_DOCUMENT_LIMIT_BYTES}, one SSM parameter)")
        return self


class PromptTemplateSpec(Section):
    """The prompt template of one model (`serving.models[].name`) and every version of it still pinned."""

    model: DnsLabel
    description: str = Field("", max_length=900)
    """Shown as the description of its SSM parameters (AWS allows 1024 characters there)."""
    versions: list[PromptVersionSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_versions(self) -> PromptTemplateSpec:
        labels = [version.version for version in self.versions]
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        if duplicates:
            raise ValueError(f"versions: duplicate prompt versions {duplicates}")
        return self

    def version(self, label: str) -> PromptVersionSpec:
        return next(version for version in self.versions if version.version == label)


class PromptsSpec(Section):
    """Prompt templates versioned with the models: each running model version is pinned to one prompt version,
    so a model rollout or rollback moves its prompts with it. Templates are stored in SSM Parameter Store."""

    templates: list[PromptTemplateSpec] = []
    pins: dict[DnsLabel, dict[VersionLabel, VersionLabel]] = {}
    """model name -> model version -> prompt version. Every running version of a model with a template needs a
    pin; keep the pins of earlier model versions so that rolling back to one restores its prompt. A hosted
    (Bedrock) model has one version, named by its `model` catalog key."""


CRON_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a standard 5-field cron expression (as KEDA's cron scaler parses), or None."""
    if expression.strip().lower() in CRON_DESCRIPTORS:
        return None
    fields = expression.split()
    if len(fields) != len(_CRON_FIELDS):
        return f"{expression!r} has {len(fields)} fields (allowed: minute hour day-of-month month day-of-week)"
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        for part in text.lower().split(","):
            span, _, step = part.partition("/")
            values = [] if span == "*" else span.split("-", 1)
            valid_step = not step or step.isdigit()
            valid_values = all((value.isdigit() and low <= int(value) <= high) or value in names for value in values)
            if not (valid_step and valid_values):
                words = ", names" if names else ""
                return f"{expression!r}: {name} field {text!r} is not valid (allowed: *, {low}-{high}, lists, " \
                       f"ranges, steps{words})"
    return None


class ScheduleSpec(Section):
    """A time window in which a self-hosted model keeps at least `desired_replicas` pods (a KEDA cron trigger
    beside its metric triggers); Karpenter provisions the GPU nodes they need ahead of the traffic."""

    model: DnsLabel
    """A self-hosted model's name (`serving.models[].name`)."""
    timezone: str = "UTC"
    """IANA time zone the cron expressions are read in, e.g. Europe/Berlin."""
    start: str = "0 8 * * 1-5"
    """Cron expression of the window's start (default: weekdays 08:00)."""
    end: str = "0 20 * * 1-5"
    """Cron expression of the window's end (default: weekdays 20:00)."""
    desired_replicas: int | None = Field(None, ge=1)
    """Replicas held during the window. None = computed: the capacity planner's replicas for the model's peak
    traffic (pre-warm to full capacity), at most its max_replicas."""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (allowed: an IANA name, e.g. UTC, Europe/Berlin, "
                             "America/New_York)") from None
        return value

    @field_validator("start", "end")
    @classmethod
    def _cron(cls, value: str) -> str:
        problem = cron_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _a_window(self) -> ScheduleSpec:
        if self.start.split() == self.end.split():
            raise ValueError(f"end: {self.end!r} equals start (allowed: a different time)")
        return self


class DnsSpec(Section):
    """Global DNS in front of the regional gateways (Route 53), built when the platform spans two or more regions:
    clients keep calling `gateway.domain_name`, now latency-routed to the nearest healthy region; each region also
    answers at `<region code>.<gateway.domain_name>` (e.g. `euc1.llm.example.com`) and the active-passive pair at
    `<failover_label>.<gateway.domain_name>`."""

    zone_name: str | None = Field(None, pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
    """Hosted zone holding those names, e.g. `example.com` for `llm.example.com`; required with two or more
    regions. Private presets (internal gateway) get a private zone associated with every regional VPC: use a
    domain you own (split-horizon), so that ACM can still validate the certificate in its public zone."""
    zone_id: str | None = None
    """An existing hosted zone to add the records to; None = create the zone."""
    failover_label: DnsLabel = "failover"
    """Active-passive name `<failover_label>.<gateway.domain_name>`: the first region while healthy, else the
    second."""
    health_check_path: str = Field("/health/liveliness", pattern=r"^/")
    """Gateway path probed over HTTPS (public presets); LiteLLM answers it without a key."""
    health_check_interval_seconds: Literal[10, 30] = 30
    health_check_failure_threshold: int = Field(3, ge=1, le=10)
    """Consecutive failed probes (or failing minutes of the regional alarm) before a region counts as unhealthy
    (30 s x 3: failover in about 90 s)."""
    ttl_seconds: int = Field(60, ge=0, le=3600)


class PlatformSpec(Section):
    """A whole platform: every region, component and control, for one environment."""

    name: DnsLabel = "llm"
    preset: str
    environment: Environment
    owner: TagValue = "platform-team"
    cost_center: TagValue = "llm-platform"
    regions: list[str] = ["us-east-1"]
    """First region is primary."""
    residency: ResidencySpec = ResidencySpec()
    deletion_protection: bool = False
    runtime: Runtime = "eks"
    """`eks`: the whole platform on an EKS cluster. `fargate`: hosted models only, the gateway on ECS Fargate behind
    the ALB, no cluster, no GPU (components/gateway_fargate.py); `cluster` is then unused. Growing into self-hosted
    models is `runtime: eks` (README, Presets)."""
    network: NetworkSpec = NetworkSpec()
    cluster: ClusterSpec = ClusterSpec()
    serving: ServingSpec = ServingSpec()
    gateway: GatewaySpec = GatewaySpec()
    access: AccessSpec = AccessSpec()
    cache: CacheSpec = CacheSpec()
    retrieval: RetrievalSpec = RetrievalSpec()
    secrets: SecretsSpec = SecretsSpec()
    observability: ObservabilitySpec = ObservabilitySpec()
    audit: AuditSpec = AuditSpec()
    budget: BudgetSpec = BudgetSpec()
    usage: UsageSpec = UsageSpec()
    compliance: ComplianceSpec = ComplianceSpec()
    batch: BatchSpec = BatchSpec()
    evaluation: EvaluationSpec = EvaluationSpec()
    feedback: FeedbackSpec = FeedbackSpec()
    prompts: PromptsSpec = PromptsSpec()
    schedules: list[ScheduleSpec] = []
    """Scheduled capacity per self-hosted model (pre-warm before known traffic); none by default."""
    dns: DnsSpec = DnsSpec()
    """Global DNS across the regions (Route 53); unused with a single region."""
    images: dict[str, Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]] = {}
    """Manifest digests of public images, by their key in blueprints.versions.IMAGES, as the registry the cluster
    pulls from returned them (`python -m blueprints images pin --stack S` writes them); they pin the images whose
    published digest versions.py lacks, and win over it."""

    @field_validator("images")
    @classmethod
    def _known_images(cls, images: dict[str, str]) -> dict[str, str]:
        for key in images:
            if key not in PINNABLE_IMAGES:
                raise ValueError(f"unknown image {key!r} (allowed: {', '.join(PINNABLE_IMAGES)})")
        return images

    def image(self, key: str) -> str:
        """The reference a container of this platform runs for IMAGES[key]: `repository:tag@digest` when a digest
        is known (from `images`, else versions.py), else `repository:tag`."""
        pinned = IMAGES[key]
        return pinned.model_copy(update={"digest": self.images[key]}).ref if key in self.images else pinned.ref

    @model_validator(mode="after")
    def _dns_rules(self) -> PlatformSpec:
        if len(self.regions) < 2:
            return self
        zone, domain = self.dns.zone_name, self.gateway.domain_name
        if not zone:
            raise ValueError(f"dns.zone_name: required when the platform spans {len(self.regions)} regions "
                             "(got none; allowed: the DNS zone of gateway.domain_name, e.g. example.com)")
        if not domain or not domain.endswith(f".{zone}"):
            raise ValueError(f"gateway.domain_name: must be a name inside dns.zone_name {zone!r} when the platform "
                             f"spans {len(self.regions)} regions (got {domain!r}; allowed: e.g. llm.{zone})")
        return self

    @model_validator(mode="after")
    def _lifecycle_rules(self) -> PlatformSpec:
        """Prompt pins and schedules name models that exist, versions that run, replicas that fit."""
        problems = [*_prompt_problems(self), *_schedule_problems(self), *_experiment_problems(self),
                    *_feedback_problems(self)]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, regions: list[str]) -> list[str]:
        if not regions:
            raise ValueError("at least one region is required")
        for region in regions:
            if region not in AWS_REGIONS:
                raise ValueError(f"unknown region {region!r} (allowed: {', '.join(AWS_REGIONS)})")
        if len(set(regions)) != len(regions):
            raise ValueError(f"regions are listed twice: {regions}")
        return regions

    @model_validator(mode="after")
    def _cross_section_rules(self) -> PlatformSpec:
        problems = [*self._runtime_problems(), *self._residency_problems(), *self._serving_problems(),
                    *self._availability_problems(), *self._gateway_problems(), *self._access_problems()]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _runtime_problems(self) -> list[str]:
        """Without a cluster there is nowhere to run models, in-cluster services or a second region's routing."""
        if self.runtime == "eks":
            return []
        needs_cluster = "needs the EKS cluster, which runtime 'fargate' does not create"
        problems = [f"serving.models[{index}].hosting: 'self-hosted' model {model.name!r} {needs_cluster} "
                    "(allowed: bedrock; or runtime: eks)"
                    for index, model in enumerate(self.serving.models) if model.hosting == "self-hosted"]
        problems += [f"{path}: true {needs_cluster} (allowed: false; or runtime: eks)"
                     for path, on in (("retrieval.enabled", self.retrieval.enabled),
                                      ("batch.enabled", self.batch.enabled), ("cache.enabled", self.cache.enabled),
                                      ("feedback.enabled", self.feedback.enabled),
                                      ("observability.tracing", self.observability.tracing),
                                      ("audit.cloudtrail", self.audit.cloudtrail)) if on]
        if self.prompts.templates:
            problems.append(f"prompts.templates: {len(self.prompts.templates)} templates with runtime 'fargate', which "
                            "publishes none to Parameter Store (allowed: []; or runtime: eks)")
        if self.gateway.cpu != 1:
            problems.append(f"gateway.cpu: {self.gateway.cpu} with runtime 'fargate' (allowed: 1; a task runs one "
                            "LiteLLM worker and the gateway scales by gateway.replicas)")
        if not (2048 <= self.gateway.memory_mib <= 8192 and self.gateway.memory_mib % 1024 == 0):
            # Fargate's sizes for 1 vCPU (Amazon ECS Developer Guide, fargate-tasks-services.html).
            problems.append(f"gateway.memory_mib: {self.gateway.memory_mib} is no Fargate size for 1 vCPU "
                            "(allowed: 2048 to 8192 in steps of 1024)")
        if len(self.regions) > 1:
            problems.append(f"regions: {len(self.regions)} regions with runtime 'fargate' (allowed: one region; "
                            "or runtime: eks for global routing)")
        if self.is_private:
            problems.append("gateway.internet_facing: false with runtime 'fargate' (allowed: true; a private "
                            "platform needs runtime: eks)")
        return problems

    @model_validator(mode="after")
    def _exposure_rules(self) -> PlatformSpec:
        """A private platform has no public door: neither its Kubernetes API nor a NAT of its own choosing."""
        if self.is_private and self.cluster.endpoint_public_access:
            raise ValueError("cluster.endpoint_public_access: true is not allowed on a private platform "
                             "(gateway.internet_facing false); allowed: false (reach the API from the VPC)")
        if not self.is_private and self.network.egress_allowlist:
            raise ValueError("network.egress_allowlist: only applies to private platforms (gateway.internet_facing "
                             "false); internet-facing platforms egress through NAT (allowed: [])")
        return self

    @model_validator(mode="after")
    def _evaluation_targets_self_hosted_models(self) -> PlatformSpec:
        self_hosted = sorted(model.name for model in self.serving.models if model.hosting == "self-hosted")
        for name in self.evaluation.golden:
            if name not in self_hosted:
                raise ValueError(f"evaluation.golden.{name}: not a self-hosted model of serving.models (allowed: "
                                 f"{', '.join(self_hosted) or 'none'})")
        return self

    @model_validator(mode="after")
    def _retrieval_and_secrets_rules(self) -> PlatformSpec:
        problems = []
        if self.retrieval.enabled and self.retrieval.embedding_hosting == "bedrock" \
                and not self.compliance.allow_hosted_models:
            problems.append(
                "retrieval.embedding_hosting: 'bedrock' is not allowed because compliance.allow_hosted_models is "
                "false (documents may not leave the account); allowed: self-hosted"
            )
        if self.retrieval.enabled and not self.secrets.external_secrets:
            problems.append(
                "secrets.external_secrets: false leaves the retrieval data plane without its credentials "
                "(Qdrant and the gateway read them through External Secrets); allowed: true"
            )
        gated = [model.name for model in self.self_hosted_models if model.versions and model.versions.candidate]
        if self.evaluation.enabled and gated and not self.secrets.external_secrets:
            problems.append(
                f"secrets.external_secrets: false leaves the evaluation gate of {gated[0]!r} without the gateway key "
                "(its Job reads it through External Secrets); allowed: true, or evaluation.enabled: false"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _residency_problems(self) -> list[str]:
        allowed = self.residency.allowed_regions
        if allowed is None:
            return []
        boundary = f"the {self.residency.boundary} residency boundary" if self.residency.boundary else "residency"
        return [
            f"regions: {region!r} is outside {boundary} (allowed: {', '.join(allowed)})"
            for region in self.regions
            if region not in allowed
        ]

    def _invocation_problems(self, where: str, name: str) -> list[str]:
        """A hosted model that Bedrock serves only through an inference profile needs one for each region's
        geography whose destinations stay inside the residency (blueprints/catalog/hosted.py)."""
        hosted = HOSTED_MODELS.get(name)
        allowed = self.residency.allowed_regions
        for region in self.regions if hosted else []:
            problem = hosted.invocation_problem(region, allowed) if hosted else None
            if hosted and problem:
                return [f"{where}: {name!r} {problem} (allowed in {region}: "
                        f"{', '.join(invocable_models(region, allowed, hosted.kind))})"]
        return []

    def _provider_problems(self, where: str, model: ModelSpec) -> list[str]:
        """Prompts may leave for a provider only where hosted models are allowed and, under a residency allowlist,
        only to a provider region on it, written `<provider>:<region>` (e.g. azure:swedencentral)."""
        if not self.compliance.allow_hosted_models:
            return [f"{where}.hosting: {model.hosting!r} is not allowed because compliance.allow_hosted_models is "
                    "false (prompts may not leave the account); allowed: self-hosted"]
        problems = self._provider_egress_problems(where, model)
        allowed = self.residency.allowed_regions
        entry = f"{model.hosting}:{model.provider_region}"
        if allowed is None or entry in allowed:
            return problems
        on_list = [item for item in allowed if ":" in item]
        return [*problems, f"{where}.provider.location: {entry!r} is outside residency.allowed_regions (allowed "
                f"providers: {', '.join(on_list) or 'none; add <provider>:<region> to residency.allowed_regions'})"]

    def _provider_egress_problems(self, where: str, model: ModelSpec) -> list[str]:
        """A private platform reaches the internet only through network.egress_allowlist: the provider's hosts
        must be on it (a leading dot admits subdomains)."""
        if not self.is_private:
            return []
        api_base = model.provider.api_base
        hosts = ((api_base.split("//", 1)[1].split("/", 1)[0].split(":", 1)[0],) if api_base else
                 PROVIDER_FACTS[model.hosting].hosts_for(model.provider.location))  # type: ignore[index]
        allowlist = self.network.egress_allowlist
        missing = [host for host in hosts
                   if not any(host == domain or (domain.startswith(".") and host.endswith(domain))
                              for domain in allowlist)]
        return [f"{where}.hosting: {model.hosting!r} needs {', '.join(missing)} in network.egress_allowlist on a "
                f"private platform (allowed now: {', '.join(allowlist) or 'none'})"] if missing else []

    def _serving_problems(self) -> list[str]:
        problems: list[str] = []
        pools = {pool.name: pool for pool in self.cluster.gpu_pools}
        names = [model.name for model in self.serving.models]
        for index, model in enumerate(self.serving.models):
            where = f"serving.models[{index}]"
            if model.name in names[:index]:
                problems.append(f"{where}.name: {model.name!r} is used by more than one model")
            if model.hosting in PROVIDERS:
                problems.extend(self._provider_problems(where, model))
                continue
            if model.hosting == "bedrock":
                if not self.compliance.allow_hosted_models:
                    problems.append(
                        f"{where}.hosting: 'bedrock' is not allowed because compliance.allow_hosted_models is false "
                        "(prompts may not leave the account); allowed: self-hosted"
                    )
                problems.extend(self._invocation_problems(f"{where}.model", model.model))
                continue
            pool = pools.get(model.gpu_pool or "")
            if pool is None:
                problems.append(
                    f"{where}.gpu_pool: no GPU pool named {model.gpu_pool!r} "
                    f"(allowed: {', '.join(pools) or 'none defined in cluster.gpu_pools'})"
                )
                continue
            problems.extend(self._placement_problems(where, model, pool))
        for name, targets in self.gateway.fallbacks.items():
            for target in [name, *targets]:
                if target not in names:
                    problems.append(
                        f"gateway.fallbacks: unknown model {target!r} "
                        f"(allowed: {', '.join(sorted(set(names))) or 'none'})"
                    )
        return problems

    def _availability_problems(self) -> list[str]:
        """Every instance type the cluster launches must be offered in every region of the platform: its node group
        and NodePools are the same in each region (the price snapshot, catalog/regional_prices.json, says where a
        type is not offered)."""
        if self.runtime != "eks":
            return []
        regions, problems = self.regions, []
        system = self.cluster.system_nodes.instance_type
        if missing := regions_not_offering(system, regions):
            problems.append(f"cluster.system_nodes.instance_type: {system!r} is not offered in {', '.join(missing)} "
                            f"(allowed: an instance type offered in every region of {', '.join(regions)})")
        families = [gpu for gpu in GPUS if any(not regions_not_offering(i.name, regions) for i in instances_for(gpu))]
        for index, pool in enumerate(self.cluster.gpu_pools):
            where = f"cluster.gpu_pools[{index}]"
            tp = max((m.tp for m in self.self_hosted_models if m.gpu_pool == pool.name), default=1)
            fitting = [i for i in instances_for(pool.gpu) if i.gpus >= tp]  # none: _placement_problems says so
            offered = [i.name for i in fitting if not regions_not_offering(i.name, regions)]
            allowed = (f"{pool.gpu} types offered in every region of {', '.join(regions)}: {', '.join(offered)}"
                       if offered else f"a GPU family the price snapshot does not mark unavailable in "
                       f"{', '.join(regions)}: {', '.join(families)}")
            pinned = [*pool.instance_types, *([pool.reservation.instance_type] if pool.reservation else [])]
            for name in dict.fromkeys(pinned):
                if missing := regions_not_offering(name, regions):
                    problems.append(f"{where}.instance_types: {name!r} is not offered in {', '.join(missing)} "
                                    f"(allowed: {allowed})")
            if not pool.instance_types and fitting and not offered:
                absent = {i.family: ", ".join(regions_not_offering(i.name, regions)) for i in fitting}
                absent_text = "; ".join(f"{family} not offered in {where_not}" for family, where_not in absent.items())
                problems.append(f"{where}.gpu: {pool.gpu!r} has no instance type with {tp}+ GPUs offered in every "
                                f"region ({absent_text}) (allowed: {allowed})")
        return problems

    @staticmethod
    def _placement_problems(where: str, model: ModelSpec, pool: GpuPoolSpec) -> list[str]:
        gpu = GPUS[pool.gpu]
        if model.precision not in gpu.precisions:
            return [
                f"{where}.precision: {model.precision!r} is not supported on {pool.gpu} "
                f"(allowed: {', '.join(gpu.precisions)})"
            ]
        candidates = [INSTANCES[name] for name in pool.instance_types] or instances_for(pool.gpu)
        most_gpus = max(instance.gpus for instance in candidates)
        if model.tp > most_gpus:
            return [
                f"{where}.tp: {model.tp} GPUs per pod do not fit pool {pool.name!r} "
                f"(its largest {pool.gpu} instance has {most_gpus} GPUs; allowed: tp <= {most_gpus})"
            ]
        return []

    def _gateway_problems(self) -> list[str]:
        """Rules across the gateway, cache, serving and compliance sections."""
        gateway, cache = self.gateway, self.cache
        names = [model.name for model in self.serving.models]
        allowed = ", ".join(names) or "none"
        problems: list[str] = []
        if gateway.certificate_arn is None and gateway.domain_name is None:
            problems.append("gateway.domain_name: needed to issue the ALB's TLS certificate (got None; set "
                            "gateway.domain_name, or gateway.certificate_arn for an existing certificate)")
        if gateway.hosted_zone_id is not None and (gateway.domain_name is None or gateway.certificate_arn):
            problems.append(f"gateway.hosted_zone_id: only validates a certificate issued for gateway.domain_name "
                            f"(got {gateway.hosted_zone_id!r}; allowed: with domain_name and without "
                            "certificate_arn)")
        if gateway.max_replicas is not None and gateway.max_replicas < gateway.replicas:
            problems.append(f"gateway.max_replicas: {gateway.max_replicas} is below gateway.replicas "
                            f"(allowed: >= {gateway.replicas})")
        if gateway.stream_timeout_s is not None and gateway.stream_timeout_s > gateway.request_timeout_s:
            problems.append(f"gateway.stream_timeout_s: {gateway.stream_timeout_s:g} exceeds "
                            f"gateway.request_timeout_s (allowed: <= {gateway.request_timeout_s:g})")
        problems += [f"gateway.model_limits: unknown model {name!r} (allowed: {allowed})"
                     for name in gateway.model_limits if name not in names]
        problems += self._fallback_limit_problems()
        if gateway.sso is not None and self.is_private and gateway.sso.idp_cidrs is None:
            problems.append("gateway.sso.idp_cidrs: a private platform has no route to the internet, so its load "
                            "balancer reaches the identity provider only at addresses you name (got None; allowed: "
                            "the IdP's CIDR blocks, e.g. [10.200.0.0/16])")
        if gateway.bedrock_guardrail is not None and not (self.hosted_models and self.compliance.allow_hosted_models):
            problems.append("gateway.bedrock_guardrail: set, but no model routes to Bedrock (allowed: null unless "
                            "serving.models has a `hosting: bedrock` model and compliance.allow_hosted_models is true)")
        if gateway.bedrock_guardrail is not None and self.runtime != "eks":
            problems.append(f"gateway.bedrock_guardrail: not available on runtime {self.runtime!r} yet "
                            "(allowed: null, or runtime: eks)")
        if gateway.pii_masking and not gateway.pii_patterns:
            problems.append("gateway.pii_patterns: empty while gateway.pii_masking is on "
                            f"(allowed: names from {', '.join(PII_PATTERNS[:4])}, ...)")
        if gateway.inference_routing and not self.self_hosted_models:
            problems.append("gateway.inference_routing: no self-hosted model to route to "
                            "(got true; allowed: false when every model is hosted)")
        if gateway.inference_routing and self.serving.engine not in ROUTABLE_ENGINES:
            problems.append("gateway.inference_routing: the endpoint picker reads the gauges of serving.engine "
                            f"{', '.join(ROUTABLE_ENGINES)} only (got true with engine {self.serving.engine!r}; "
                            "allowed: false)")
        if gateway.data_plane == "envoy" and not (self.runtime == "eks" and gateway.inference_routing):
            problems.append("gateway.data_plane: envoy routes to the InferencePools of the inference gateway (got "
                            f"envoy with runtime {self.runtime!r}, inference_routing {gateway.inference_routing}; "
                            "allowed: auto or litellm, or envoy with runtime eks and gateway.inference_routing true)")
        if gateway.tiered_routing:
            problems += self._tier_problems(names)
        if cache.semantic and not cache.enabled:
            problems.append("cache.semantic: needs cache.enabled (got semantic true with enabled false)")
        if cache.semantic and not self.compliance.allow_hosted_models:
            problems.append(f"cache.semantic: embeds prompts with Bedrock model {cache.semantic_embedding_model!r}, "
                            "which compliance.allow_hosted_models false forbids (allowed: false)")
        if cache.multi_az and cache.replica_count == 0:
            problems.append("cache.replicas: multi_az needs at least one replica (got 0; allowed: 1-5)")
        return problems

    def _access_problems(self) -> list[str]:
        """Team names are unique and teams allow only models the gateway serves; the reconciler Job needs the
        cluster."""
        served = self.gateway_model_names
        problems: list[str] = []
        seen: set[str] = set()
        for index, team in enumerate(self.access.teams):
            where = f"access.teams[{index}]"
            if team.name in seen:
                problems.append(f"{where}.name: {team.name!r} is used by more than one team (allowed: unique names)")
            if team.name == PLATFORM_TEAM:
                problems.append(f"{where}.name: {team.name!r} is reserved for the platform's own workloads' keys "
                                "(allowed: any other name)")
            seen.add(team.name)
            problems += [f"{where}.models: {model!r} is not a model the gateway serves "
                         f"(allowed: {', '.join(served) or 'none'})" for model in team.models if model not in served]
        if self.gateway.sso is not None:
            problems += [f"gateway.sso.group_teams.{group}: {team!r} is not a team in access.teams "
                         f"(allowed: {', '.join(sorted(seen)) or 'none'})"
                         for group, team in self.gateway.sso.group_teams.items() if team not in seen]
        if self.access.teams and self.runtime != "eks":
            problems.append(f"access.teams: {len(self.access.teams)} teams with runtime {self.runtime!r}, which has no "
                            "cluster for the reconciler Job (allowed: []; or runtime: eks)")
        return problems

    def _tier_problems(self, names: list[str]) -> list[str]:
        tiers, chat = self.gateway.tiers, [model.name for model in self.chat_models]
        if len(chat) < 2:
            return [f"gateway.tiered_routing: needs at least two chat models (got {len(chat)}: "
                    f"{', '.join(chat) or 'none'})"]
        problems = [f"gateway.tiers.{field}: unknown chat model {value!r} (allowed: {', '.join(chat)})"
                    for field, value in (("small", tiers.small), ("large", tiers.large))
                    if value is not None and value not in chat]
        if tiers.small is not None and tiers.small == tiers.large:
            problems.append(f"gateway.tiers.large: must differ from gateway.tiers.small (got {tiers.large!r} for both)")
        if tiers.model_name in names:
            problems.append(f"gateway.tiers.model_name: {tiers.model_name!r} is already a model's name "
                            "(allowed: a name no model uses)")
        return problems

    # Derived views used by components -------------------------------------------------------------------------

    def fallback_sources(self, target: str) -> list[ModelSpec]:
        """Models whose requests fall back to `target` (gateway.fallbacks)."""
        return [model for model in self.serving.models if target in self.gateway.fallbacks.get(model.name, [])]

    def _fallback_limit_problems(self) -> list[str]:
        """A pinned limit of a fallback target must admit its own planned traffic plus that of every model
        falling back to it, or an outage of those turns into 429s."""
        models = {model.name: model for model in self.serving.models}
        problems = []
        for target, limit in self.gateway.model_limits.items():
            sources = self.fallback_sources(target)
            if target not in models or not sources:
                continue
            for key in ("rpm", "tpm"):
                needed = math.ceil(sum(m.traffic.per_minute[key] for m in [models[target], *sources]))
                value = getattr(limit, key)
                if value is not None and value < needed:
                    problems.append(
                        f"gateway.model_limits[{target}].{key}: {value} cannot carry the planned traffic of {target} "
                        f"and of {', '.join(m.name for m in sources)} falling back to it (allowed: >= {needed})")
        return problems

    @property
    def gateway_model_names(self) -> list[str]:
        """Model names clients may ask the gateway for: the served models (hosted ones only where allowed) and the
        tiered-routing alias."""
        hosted_allowed = self.compliance.allow_hosted_models
        names = [model.name for model in self.serving.models if model.hosting == "self-hosted" or hosted_allowed]
        return [*names, *([self.gateway.tiers.model_name] if self.gateway.tiered_routing else [])]

    @property
    def gateway_database(self) -> bool:
        """The gateway keeps virtual keys, teams, budgets and spend in its own Aurora PostgreSQL (every preset on
        EKS); on runtime `fargate` (the MVP) it runs on the master key alone, without a database."""
        return self.runtime == "eks"

    @property
    def self_hosted_models(self) -> list[ModelSpec]:
        return [model for model in self.serving.models if model.hosting == "self-hosted"]

    @property
    def chat_models(self) -> list[ModelSpec]:
        """Models that answer chat completions: every self-hosted model and the hosted chat models."""
        return [model for model in self.serving.models
                if model.hosting in ("self-hosted", *PROVIDERS) or HOSTED_MODELS[model.model].kind == "chat"]

    @property
    def hosted_models(self) -> list[ModelSpec]:
        """Models on Amazon Bedrock (the other providers: `provider_models`)."""
        return [model for model in self.serving.models if model.hosting == "bedrock"]

    @property
    def provider_models(self) -> list[ModelSpec]:
        """Models of hosted providers other than Bedrock the gateway serves (none where prompts may not leave)."""
        if not self.compliance.allow_hosted_models:
            return []
        return [model for model in self.serving.models if model.hosting in PROVIDERS]

    @property
    def is_private(self) -> bool:
        """Private presets: no public API endpoint, internal ALB, interface endpoints."""
        return not self.gateway.internet_facing

    def pool(self, name: str) -> GpuPoolSpec:
        return next(pool for pool in self.cluster.gpu_pools if pool.name == name)

    def capacity_types(self, pool: GpuPoolSpec) -> list[CapacityType]:
        return pool.capacity_types or self.cluster.default_capacity_types

    def min_replicas(self, model: ModelSpec) -> int:
        return self.serving.default_min_replicas if model.min_replicas is None else model.min_replicas


def running_versions(model: ModelSpec) -> list[str]:
    """The versions of a model that serve now: stable (and candidate) of a self-hosted model; a hosted model's
    only version is its catalog key."""
    if model.versions is None:
        return [model.model]
    return [model.versions.stable, *([model.versions.candidate] if model.versions.candidate else [])]


def _experiment_problems(spec: PlatformSpec) -> list[str]:
    """Each experiment's variants are running versions of a self-hosted model, one experiment per model, and the
    candidate's share of users fits the capacity its rollout plans for it (a canary is sized for its weight)."""
    models = {model.name: model for model in spec.serving.models if model.versions is not None}
    problems: list[str] = []
    seen: set[str] = set()
    for index, experiment in enumerate(spec.gateway.experiments):
        where = f"gateway.experiments[{index}]"
        model = models.get(experiment.model)
        if model is None or model.versions is None:
            problems.append(f"{where}.model: {experiment.model!r} is not a self-hosted model (allowed: "
                            f"{', '.join(models) or 'none'})")
            continue
        if experiment.model in seen:
            problems.append(f"{where}.model: {experiment.model!r} already has an experiment (allowed: one per model)")
        seen.add(experiment.model)
        running = running_versions(model)
        problems += [f"{where}.variants.{label}: {version!r} is not a running version of {model.name} (allowed: "
                     f"{', '.join(running)})"
                     for label, version in experiment.variants.items() if version not in running]
        versions = model.versions
        if versions.candidate and versions.strategy == "canary":
            share = sum(experiment.split.get(label, 0) for label, version in experiment.variants.items()
                        if version == versions.candidate)
            if share > versions.candidate_weight:
                problems.append(f"{where}.split: {share}% of users on candidate {versions.candidate} exceeds the "
                                f"capacity planned for it (serving.models.{model.name}.versions.candidate_weight "
                                f"{versions.candidate_weight}; allowed: at most that, or raise candidate_weight)")
    return problems


def _feedback_problems(spec: PlatformSpec) -> list[str]:
    """The judge is a served model; where prompts may not be stored (regulated, audit.log_prompts false) no
    prompt leaves its request, so nothing is sampled for the judge or drift."""
    feedback, problems = spec.feedback, []
    if not feedback.enabled:
        return problems
    names = [model.name for model in spec.serving.models]
    if feedback.judge_model is not None and feedback.judge_model not in names:
        problems.append(f"feedback.judge_model: {feedback.judge_model!r} is not a served model "
                        f"(allowed: {', '.join(names)}, or null)")
    if spec.compliance.level == "regulated" and not spec.audit.log_prompts:
        problems += [f"feedback.{name}: {value} where prompts may not be stored (compliance.level regulated, "
                     "audit.log_prompts false) (allowed: 0)"
                     for name, value in (("judge_sample_percent", feedback.judge_sample_percent),
                                         ("drift_sample_percent", feedback.drift_sample_percent)) if value > 0]
    if not spec.cache.enabled:
        problems.append("feedback.enabled: true needs the gateway's Redis, where answers are attributed "
                        "(allowed: false; or cache.enabled: true)")
    return problems


def _prompt_problems(spec: PlatformSpec) -> list[str]:
    models = {model.name: model for model in spec.serving.models}
    allowed = ", ".join(models) or "none"
    problems: list[str] = []
    templates: dict[str, PromptTemplateSpec] = {}
    for index, template in enumerate(spec.prompts.templates):
        where = f"prompts.templates[{index}].model"
        if template.model not in models:
            problems.append(f"{where}: unknown model {template.model!r} (allowed: {allowed})")
        elif template.model in templates:
            problems.append(f"{where}: {template.model!r} already has a template (allowed: one per model)")
        templates.setdefault(template.model, template)
    for name, pins in spec.prompts.pins.items():
        template = templates.get(name)
        if template is None:
            problems.append(f"prompts.pins[{name}]: no prompt template for model {name!r} "
                            f"(allowed: {', '.join(templates) or 'none'})")
            continue
        labels = [version.version for version in template.versions]
        problems += [f"prompts.pins[{name}]: model version {model_version!r} is pinned to unknown prompt version "
                     f"{prompt!r} (allowed: {', '.join(labels)})"
                     for model_version, prompt in pins.items() if prompt not in labels]
    for name, template in templates.items():
        if name not in models:
            continue
        pinned = spec.prompts.pins.get(name, {})
        problems += [f"prompts.pins[{name}]: running model version {version!r} has no prompt version "
                     f"(allowed: one of {', '.join(v.version for v in template.versions)})"
                     for version in running_versions(models[name]) if version not in pinned]
    return problems


def _schedule_problems(spec: PlatformSpec) -> list[str]:
    models = {model.name: model for model in spec.self_hosted_models}
    problems: list[str] = []
    for index, schedule in enumerate(spec.schedules):
        where = f"schedules[{index}]"
        model = models.get(schedule.model)
        if model is None:
            problems.append(f"{where}.model: no self-hosted model named {schedule.model!r} "
                            f"(allowed: {', '.join(models) or 'none'})")
        elif schedule.desired_replicas is not None and model.max_replicas is not None \
                and schedule.desired_replicas > model.max_replicas:
            problems.append(f"{where}.desired_replicas: {schedule.desired_replicas} exceeds the model's "
                            f"max_replicas (allowed: <= {model.max_replicas})")
    return problems


def region_code(region: str) -> str:
    """Short code used in names that must be unique across regions (us-east-1 -> use1)."""
    return AWS_REGIONS.get(region) or re.sub(r"[^a-z0-9]", "", region)
