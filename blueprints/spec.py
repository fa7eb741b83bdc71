"""The one typed model of a platform.

Stack config (preset + environment overlay + overrides) is merged and validated into a `PlatformSpec` before any
resource exists. Every knob has a default that describes behaviour; cross-field rules live in validators here, so
components can trust their slice of the spec. Values left `None` where the docstring says "computed" are filled by
`blueprints.sizing` through `resolve_capacity` (presets are data, sizes are computed).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from blueprints.catalog.gpus import GPUS, Precision
from blueprints.catalog.hosted import HOSTED_MODELS
from blueprints.catalog.instances import INSTANCES, instances_for
from blueprints.catalog.models import MODELS

Environment = Literal["dev", "staging", "prod"]
ComplianceLevel = Literal["basic", "standard", "regulated"]
Framework = Literal["soc2", "hipaa", "gdpr", "pci-dss", "iso27001", "eu-ai-act"]
CapacityType = Literal["on-demand", "spot", "reserved"]
ControlPlaneLog = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
DnsLabel = Annotated[str, StringConstraints(pattern=r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")]

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


class NetworkSpec(Section):
    cidr: str = "10.0.0.0/16"
    """CIDR of the first region's VPC; region N uses the block N positions after it (10.0/16, 10.1/16, ...)."""
    availability_zones: int = Field(3, ge=2, le=3)
    nat_gateways: Literal["single", "per-az"] = "per-az"
    """`single` saves cost (dev); `per-az` survives an AZ outage."""
    private_endpoints: bool = False
    """Interface endpoints for ECR, STS, Secrets Manager, CloudWatch Logs and Bedrock runtime (S3 gateway always)."""
    flow_log_retention_days: int = Field(365, ge=1)

    @field_validator("cidr")
    @classmethod
    def _cidr_is_a_16(cls, value: str) -> str:
        network = ipaddress.ip_network(value, strict=True)
        if network.prefixlen != 16 or not network.is_private:
            raise ValueError("must be a private /16 block, e.g. 10.0.0.0/16")
        return value


class SystemNodesSpec(Section):
    """The small managed node group for cluster add-ons, Karpenter itself and the gateway."""

    instance_type: str = "m7i.xlarge"
    min_size: int = Field(2, ge=1)
    max_size: int = Field(4, ge=1)


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

    @field_validator("gpu")
    @classmethod
    def _known_gpu(cls, value: str) -> str:
        if value not in GPUS:
            raise ValueError(f"unknown GPU family {value!r}; allowed: {', '.join(GPUS)}")
        return value


class ClusterSpec(Section):
    kubernetes_version: str = "1.33"
    endpoint_public_access: bool = True
    """Private presets set this to false: the API server is then reachable only from the VPC."""
    public_access_cidrs: list[str] = ["0.0.0.0/0"]
    control_plane_logs: list[ControlPlaneLog] = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    log_retention_days: int = Field(90, ge=1)
    system_nodes: SystemNodesSpec = SystemNodesSpec()
    gpu_pools: list[GpuPoolSpec] = []
    default_capacity_types: list[CapacityType] = ["on-demand"]
    gpu_software: Literal["gpu-operator", "device-plugin"] = "gpu-operator"
    admin_role_arns: list[str] = []
    """IAM roles granted cluster-admin through EKS access entries (break-glass, CI)."""

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


class SloSpec(Section):
    ttft_p95_ms: float = Field(1000, gt=0)
    """Time to first token, 95th percentile."""
    tpot_p95_ms: float = Field(50, gt=0)
    """Time per output token after the first, 95th percentile."""
    availability: float = Field(0.995, gt=0, lt=1)
    max_error_ratio: float = Field(0.01, ge=0, lt=1)


class ModelSpec(Section):
    """A model the gateway serves: self-hosted on a GPU pool, or hosted on Amazon Bedrock."""

    name: DnsLabel
    """The name clients ask for (`model` in the OpenAI API)."""
    hosting: Literal["self-hosted", "bedrock"] = "self-hosted"
    model: str
    """Self-hosted: architecture key of the model catalog. Bedrock: key of the hosted-model catalog."""
    checkpoint: str | None = None
    """Self-hosted: the quantized checkpoint published to the artifacts bucket, e.g. nvidia/Llama-3.1-8B-Instruct-FP8."""
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

    @model_validator(mode="after")
    def _hosting_fields(self) -> ModelSpec:
        if self.hosting == "bedrock":
            if self.model not in HOSTED_MODELS:
                raise ValueError(f"model: unknown hosted model {self.model!r}; allowed: {', '.join(HOSTED_MODELS)}")
            if self.gpu_pool is not None:
                raise ValueError("gpu_pool: a bedrock model runs on no GPU pool; remove gpu_pool")
            return self
        if self.model not in MODELS:
            raise ValueError(f"model: unknown model architecture {self.model!r}; allowed: {', '.join(MODELS)}")
        if self.gpu_pool is None:
            raise ValueError("gpu_pool: a self-hosted model needs a gpu_pool (a name from cluster.gpu_pools)")
        if self.tp & (self.tp - 1):
            raise ValueError(f"tp: must be a power of two (got {self.tp}; allowed: 1, 2, 4, 8)")
        if self.min_replicas is not None and self.max_replicas is not None and self.min_replicas > self.max_replicas:
            raise ValueError(f"min_replicas ({self.min_replicas}) is larger than max_replicas ({self.max_replicas})")
        return self


class ServingSpec(Section):
    models: list[ModelSpec] = []
    default_min_replicas: int = Field(1, ge=0)
    """Warm minimum per self-hosted model unless the model sets one; dev uses 0 (scale to zero)."""
    engine: Literal["trtllm-serve", "triton"] = "trtllm-serve"


class GatewaySpec(Section):
    """LiteLLM behind an ALB with TLS and WAF."""

    internet_facing: bool = True
    """False = internal ALB reachable only from the VPC / peered networks."""
    waf: bool = True
    replicas: int = Field(2, ge=1)
    max_tokens: int = Field(4096, ge=1)
    """Ceiling on `max_tokens` per request."""
    rpm_per_key: int = Field(600, ge=1)
    tpm_per_key: int = Field(200_000, ge=1)
    fallbacks: dict[str, list[str]] = {}
    """Model name -> models tried in order when it fails (e.g. self-hosted -> Bedrock)."""
    pii_masking: bool = False
    tiered_routing: bool = False
    """Cache -> small model -> large model by request complexity."""


class CacheSpec(Section):
    """Response cache on ElastiCache for Valkey."""

    enabled: bool = False
    semantic: bool = False
    node_type: str = "cache.t4g.small"
    multi_az: bool = False
    ttl_seconds: int = Field(3600, ge=1)


class RetrievalSpec(Section):
    """RAG data plane: a vector store and an embedding model."""

    enabled: bool = False
    vector_store: Literal["pgvector", "opensearch", "qdrant"] = "pgvector"
    embedding_model: str = "titan-embed-text-v2"
    embedding_dimension: int = Field(1024, ge=8)


class SecretsSpec(Section):
    customer_managed_keys: bool = True
    """KMS customer-managed keys per data class; AWS-managed keys when false (cheaper, less control)."""
    external_secrets: bool = True


class ObservabilitySpec(Section):
    stack: Literal["kube-prometheus", "managed"] = "kube-prometheus"
    log_retention_days: int = Field(30, ge=1)
    tracing: bool = False


class AuditSpec(Section):
    cloudtrail: bool = False
    retention_days: int = Field(365, ge=1)
    object_lock: bool = False
    log_prompts: bool = False
    """Store (redacted) prompts in gateway audit records; off unless a preset allows it."""


class BudgetSpec(Section):
    monthly_usd: float | None = Field(None, gt=0)
    """None = no AWS Budget."""
    alert_thresholds_percent: list[int] = [80, 100]


class ComplianceSpec(Section):
    level: ComplianceLevel = "basic"
    frameworks: list[Framework] = []
    allow_hosted_models: bool = True
    """False forbids sending prompts to hosted APIs (Bedrock): every model must be self-hosted."""


class PlatformSpec(Section):
    """A whole platform: every region, component and control, for one environment."""

    name: DnsLabel = "llm"
    preset: str
    environment: Environment
    owner: str = "platform-team"
    cost_center: str = "llm-platform"
    regions: list[str] = ["us-east-1"]
    """First region is primary."""
    residency: ResidencySpec = ResidencySpec()
    deletion_protection: bool = False
    network: NetworkSpec = NetworkSpec()
    cluster: ClusterSpec = ClusterSpec()
    serving: ServingSpec = ServingSpec()
    gateway: GatewaySpec = GatewaySpec()
    cache: CacheSpec = CacheSpec()
    retrieval: RetrievalSpec = RetrievalSpec()
    secrets: SecretsSpec = SecretsSpec()
    observability: ObservabilitySpec = ObservabilitySpec()
    audit: AuditSpec = AuditSpec()
    budget: BudgetSpec = BudgetSpec()
    compliance: ComplianceSpec = ComplianceSpec()

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, regions: list[str]) -> list[str]:
        if not regions:
            raise ValueError("at least one region is required")
        for region in regions:
            if region not in AWS_REGIONS:
                raise ValueError(f"unknown region {region!r}; allowed: {', '.join(AWS_REGIONS)}")
        if len(set(regions)) != len(regions):
            raise ValueError(f"regions are listed twice: {regions}")
        return regions

    @model_validator(mode="after")
    def _cross_section_rules(self) -> PlatformSpec:
        problems = [*self._residency_problems(), *self._serving_problems()]
        if problems:
            raise ValueError("; ".join(problems))
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

    def _serving_problems(self) -> list[str]:
        problems: list[str] = []
        pools = {pool.name: pool for pool in self.cluster.gpu_pools}
        names = [model.name for model in self.serving.models]
        for index, model in enumerate(self.serving.models):
            where = f"serving.models[{index}]"
            if names.count(model.name) > 1:
                problems.append(f"{where}.name: {model.name!r} is used by more than one model")
            if model.hosting == "bedrock":
                if not self.compliance.allow_hosted_models:
                    problems.append(
                        f"{where}.hosting: 'bedrock' is not allowed because compliance.allow_hosted_models is false "
                        "(prompts may not leave the account); allowed: self-hosted"
                    )
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
                        f"gateway.fallbacks: unknown model {target!r} (allowed: {', '.join(names) or 'none'})"
                    )
        return problems

    @staticmethod
    def _placement_problems(where: str, model: ModelSpec, pool: GpuPoolSpec) -> list[str]:
        gpu = GPUS[pool.gpu]
        if model.precision not in gpu.precisions:
            return [
                f"{where}.precision: {model.precision!r} is not supported on {pool.gpu} "
                f"(allowed: {', '.join(gpu.precisions)})"
            ]
        problems = []
        for instance_type in pool.instance_types:
            instance = INSTANCES.get(instance_type)
            if instance is None or instance.gpu != pool.gpu:
                choices = ", ".join(i.name for i in instances_for(pool.gpu))
                problems.append(
                    f"cluster.gpu_pools[{pool.name}].instance_types: {instance_type!r} is not a {pool.gpu} "
                    f"instance (allowed: {choices})"
                )
        candidates = [INSTANCES[name] for name in pool.instance_types if name in INSTANCES] or instances_for(pool.gpu)
        most_gpus = max(instance.gpus for instance in candidates)
        if model.tp > most_gpus:
            problems.append(
                f"{where}.tp: {model.tp} GPUs per pod do not fit pool {pool.name!r} "
                f"(its largest {pool.gpu} instance has {most_gpus} GPUs; allowed: tp <= {most_gpus})"
            )
        return problems

    # Derived views used by components -------------------------------------------------------------------------

    @property
    def self_hosted_models(self) -> list[ModelSpec]:
        return [model for model in self.serving.models if model.hosting == "self-hosted"]

    @property
    def hosted_models(self) -> list[ModelSpec]:
        return [model for model in self.serving.models if model.hosting == "bedrock"]

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


def region_code(region: str) -> str:
    """Short code used in names that must be unique across regions (us-east-1 -> use1)."""
    return AWS_REGIONS.get(region) or re.sub(r"[^a-z0-9]", "", region)
