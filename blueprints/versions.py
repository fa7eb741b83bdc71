"""Every external version the platform deploys, pinned in one place, each with where it comes from.

Adding a chart or an image is one entry here. Python packages are pinned in pyproject.toml.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class Chart(BaseModel, frozen=True):
    chart: str
    repository: str
    version: str
    source: str


class Image(BaseModel, frozen=True):
    repository: str
    tag: str
    source: str
    digest: str = Field("", pattern=r"^(sha256:[0-9a-f]{64})?$")
    """The published manifest (list) digest of `repository:tag`, copied from where `digest_source` says; empty
    where no published digest could be found offline (the image-digest-prod policy reports those)."""
    digest_source: str = ""

    @property
    def ref(self) -> str:
        """`repository:tag@sha256:...` when the digest is known (every environment then pulls exactly that
        image, whatever the tag points to later), else `repository:tag`."""
        return f"{self.repository}:{self.tag}@{self.digest}" if self.digest else f"{self.repository}:{self.tag}"


class EksVersion(BaseModel, frozen=True):
    """One Kubernetes minor version on EKS: standard support (cluster-hour at the standard price) until
    `standard_support_ends`, then extended support (the higher price) until `extended_support_ends`, after which
    EKS upgrades the control plane itself."""

    standard_support_ends: date
    extended_support_ends: date


EKS_VERSIONS: dict[str, EksVersion] = {
    # Amazon EKS Kubernetes release calendar (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html,
    # #kubernetes-release-calendar; awsdocs/amazon-eks-user-guide latest/ug/versioning/kubernetes-versions.adoc),
    # read 2026-12-04. 1.35 (EKS release 2026-01-27) as listed by endoflife.date/amazon-eks from that calendar;
    # EKS dates are UTC and billing for extended support starts at 00:00 UTC of the end-of-standard date.
    "1.29": EksVersion(standard_support_ends=date(2025, 3, 23), extended_support_ends=date(2026, 3, 23)),
    "1.30": EksVersion(standard_support_ends=date(2025, 7, 23), extended_support_ends=date(2026, 7, 23)),
    "1.31": EksVersion(standard_support_ends=date(2025, 11, 26), extended_support_ends=date(2026, 11, 26)),
    "1.32": EksVersion(standard_support_ends=date(2026, 3, 23), extended_support_ends=date(2027, 3, 23)),
    "1.33": EksVersion(standard_support_ends=date(2026, 7, 29), extended_support_ends=date(2027, 7, 29)),
    "1.34": EksVersion(standard_support_ends=date(2026, 12, 2), extended_support_ends=date(2027, 12, 2)),
    "1.35": EksVersion(standard_support_ends=date(2027, 3, 27), extended_support_ends=date(2028, 3, 27)),
}

KUBERNETES_VERSION = "1.35"
"""The EKS version presets run (spec `cluster.kubernetes_version` default), and the one the add-on versions below
and the manifests' schema validation (kubernetes-validate 1.35) are for: the newest version on EKS as of
2026-12-04, in standard support until 2027-03-27. Every chart above is compatible: no Chart.yaml kubeVersion
excludes it (keda >=1.23, kube-prometheus-stack >=1.25, external-secrets/dcgm-exporter >=1.19, gpu-operator
>=1.16, device plugin >=1.10; the others set none), KEDA 2.20 is tested on 1.33+, and Karpenter 1.9 and later
support Kubernetes 1.29-1.35 (karpenter.sh compatibility matrix, as listed by endoflife.date/karpenter)."""

CHARTS: dict[str, Chart] = {
    "karpenter": Chart(
        chart="karpenter", repository="oci://public.ecr.aws/karpenter", version="1.14.1",
        source="aws/karpenter-provider-aws release v1.14.1 (CRDs in upstream.lock.yaml are from the same tag)",
    ),
    "gpu-operator": Chart(
        chart="gpu-operator", repository="https://helm.ngc.nvidia.com/nvidia", version="v26.7.0",
        source="NVIDIA/gpu-operator release v26.7.0 (ClusterPolicy CRD in upstream.lock.yaml from the same tag)",
    ),
    "nvidia-device-plugin": Chart(
        chart="nvidia-device-plugin", repository="https://nvidia.github.io/k8s-device-plugin", version="0.18.0",
        source="NVIDIA/k8s-device-plugin release v0.18.0",
    ),
    "keda": Chart(
        chart="keda", repository="https://kedacore.github.io/charts", version="2.20.2",
        source="kedacore/charts for KEDA v2.20.2 (CRDs in upstream.lock.yaml from the same tag)",
    ),
    "external-secrets": Chart(
        chart="external-secrets", repository="https://charts.external-secrets.io", version="2.9.0",
        source="external-secrets/external-secrets release v2.9.0 (CRDs in upstream.lock.yaml from the same tag)",
    ),
    "aws-load-balancer-controller": Chart(
        chart="aws-load-balancer-controller", repository="https://aws.github.io/eks-charts", version="1.14.1",
        source="aws/eks-charts, aws-load-balancer-controller chart for controller v2.14.1",
    ),
    "kube-prometheus-stack": Chart(
        chart="kube-prometheus-stack", repository="https://prometheus-community.github.io/helm-charts",
        version="88.0.0",
        source="prometheus-community/helm-charts release kube-prometheus-stack-88.0.0, the first on "
        "prometheus-operator v0.93.0 (the CRDs in upstream.lock.yaml are from v0.93.0)",
    ),
    "envoy-gateway": Chart(
        chart="gateway-helm", repository="oci://docker.io/envoyproxy", version="v1.9.0",
        source="envoyproxy/gateway release v1.9.0 (CRDs in upstream.lock.yaml from the same tag)",
    ),
    "inferencepool": Chart(
        chart="inferencepool", repository="oci://registry.k8s.io/gateway-api-inference-extension/charts",
        version="v1.5.0",
        source="kubernetes-sigs/gateway-api-inference-extension release v1.5.0, the last with the chart (it moved to "
        "llm-d/llm-d-router afterwards)",
    ),
    "envoy-ai-gateway-crds": Chart(
        chart="ai-gateway-crds-helm", repository="oci://docker.io/envoyproxy", version="v1.1.0",
        source="envoyproxy/ai-gateway release v1.1.0 (CRDs in upstream.lock.yaml from the same tag)",
    ),
    "envoy-ai-gateway": Chart(
        chart="ai-gateway-helm", repository="oci://docker.io/envoyproxy", version="v1.1.0",
        source="envoyproxy/ai-gateway release v1.1.0: Envoy Gateway extension server resolving InferencePools",
    ),
    "dcgm-exporter": Chart(
        chart="dcgm-exporter", repository="https://nvidia.github.io/dcgm-exporter/helm-charts", version="4.4.1",
        source="NVIDIA/dcgm-exporter chart 4.4.1",
    ),
    "aws-for-fluent-bit": Chart(
        chart="aws-for-fluent-bit", repository="https://aws.github.io/eks-charts", version="0.2.0",
        source="aws/eks-charts stable/aws-for-fluent-bit/Chart.yaml 0.2.0, the newest release (image "
        "aws-for-fluent-bit 3.2.1)",
    ),
    "opentelemetry-collector": Chart(
        chart="opentelemetry-collector", repository="https://open-telemetry.github.io/opentelemetry-helm-charts",
        version="0.158.2",
        source="open-telemetry/opentelemetry-helm-charts charts/opentelemetry-collector/Chart.yaml 0.158.2 "
        "(collector 0.153.0)",
    ),
    "qdrant": Chart(
        chart="qdrant", repository="https://qdrant.github.io/qdrant-helm", version="1.15.4",
        source="qdrant/qdrant-helm charts/qdrant/Chart.yaml 1.15.4 (Qdrant v1.15.4)",
    ),
}

IMAGES: dict[str, Image] = {
    "otel-collector-contrib": Image(
        repository="otel/opentelemetry-collector-contrib", tag="0.153.0",
        source="open-telemetry/opentelemetry-collector-releases 0.153.0, the appVersion of the "
        "opentelemetry-collector chart pinned above (contrib: it has the awsxray exporter)",
        digest="sha256:93aad750175cbf1a973ae1c5886c3371f4d800f61be25cdd26870b8441ffe9fa",
        digest_source="pinned as otel/opentelemetry-collector-contrib:0.153.0@sha256:93aad750... (and the same "
        "digest under ghcr.io/open-telemetry/opentelemetry-collector-releases) by several public repositories' "
        "Dockerfiles and Kubernetes manifests (a Renovate docker:pinDigests pin among them), read 2026-12-04",
    ),
    "tensorrt-llm": Image(
        repository="nvcr.io/nvidia/tensorrt-llm/release", tag="1.3.0rc24",
        source="NGC catalog / NVIDIA/TensorRT-LLM release v1.3.0rc24: the first release line whose trtllm-serve "
        "exports the trtllm_num_requests_waiting and trtllm_kv_cache_utilization gauges autoscaling reads "
        "(TensorRT-LLM PRs #11243, #12545); base of images/trtllm-serve",
    ),
    "tritonserver-trtllm": Image(
        repository="nvcr.io/nvidia/tritonserver", tag="26.09-trtllm-python-py3",
        source="NGC catalog, Triton Inference Server 26.09 (Triton 2.73.0) with TensorRT-LLM; base of "
        "images/triton-trtllm",
    ),
    "litellm": Image(
        repository="ghcr.io/berriai/litellm", tag="v1.81.16-stable",
        source="BerriAI/litellm release v1.81.16 (the same version is pinned for tests in pyproject.toml)",
    ),
    "text-embeddings-inference": Image(
        repository="ghcr.io/huggingface/text-embeddings-inference", tag="cpu-1.8",
        source="huggingface/text-embeddings-inference 1.8 CPU image (OpenAI-compatible /v1/embeddings)",
        digest="sha256:8de25e75ce39617f17f2f6c77d60a4f75b65e779ed5005420eb1400072a15c1c",
        digest_source="pinned as ghcr.io/huggingface/text-embeddings-inference:cpu-1.8@sha256:8de25e75... by "
        "public repositories' Dockerfile and run scripts, read 2026-12-04 (cpu-1.8 is a moving minor tag: the "
        "digest fixes the build)",
    ),
    "aws-cli": Image(
        repository="public.ecr.aws/aws-cli/aws-cli", tag="2.36.49",
        source="aws/aws-cli release 2.36.49, its official image (ECR Public); reads EKS Pod Identity credentials "
        "(container provider: AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)",
        digest="sha256:f42bf088cb1456ba9e179ce71fdeb22cc46ff64ea1e3aeae8251ff81391f5bb1",
        digest_source="pinned as public.ecr.aws/aws-cli/aws-cli:2.36.49@sha256:f42bf088... by independent public "
        "repositories (a Helm chart's init container, a Dockerfile), read 2026-12-04; not re-read from the registry",
    ),
    "postgres-client": Image(
        repository="public.ecr.aws/docker/library/postgres", tag="16.10-alpine",
        source="Docker official image, ECR Public mirror; psql matching AURORA_POSTGRESQL_VERSION's major",
        digest="sha256:029660641a0cfc575b14f336ba448fb8a75fd595d42e1fa316b9fb4378742297",
        digest_source="the Docker Hub manifest list of postgres:16.10-alpine (the ECR Public library mirror "
        "serves the same manifests), pinned as postgres:16.10-alpine@sha256:02966064... by many public "
        "repositories' CI files and Dockerfiles, read 2026-12-04",
    ),
}

PYTHON_IMAGE = Image(
    repository="public.ecr.aws/docker/library/python", tag="3.12.12-slim-bookworm",
    source="Docker official image (ECR Public mirror), Python 3.12.12 on Debian 12: base of images/batch-worker",
    digest="sha256:593bd06efe90efa80dc4eee3948be7c0fde4134606dd40d8dd8dbcade98e669c",
    digest_source="the Docker Hub manifest list of python:3.12.12-slim-bookworm (the ECR Public library mirror "
    "serves the same manifests), pinned as python:3.12.12-slim-bookworm@sha256:593bd06e... by many public "
    "repositories' Dockerfiles, read 2026-12-04",
)
BATCH_WORKER_TAG = "3.12.12-2"
"""Our batch-worker image in each region's ECR (immutable), built from images/batch-worker on PYTHON_IMAGE; bump
the suffix whenever images/batch-worker or blueprints/batch changes."""
EVAL_RUNNER_TAG = "3.12.12-1"
"""Our eval-runner image (the release gate's Job), built from images/eval-runner on PYTHON_IMAGE; bump the suffix
whenever images/eval-runner or the runtime modules of blueprints/evaluation change."""

FEEDBACK_API_TAG = "3.12.12-1"
"""Our feedback-api image (the feedback service and its quality worker), built from images/feedback-api on
PYTHON_IMAGE; bump the suffix whenever images/feedback-api or the runtime modules of blueprints/feedback change."""
RETRIEVAL_SERVICE_TAG = "3.12.12-1"
"""Our retrieval-service image, built from images/retrieval-service on PYTHON_IMAGE; bump the suffix whenever
images/retrieval-service or the runtime modules of blueprints/retrieval change."""

SERVING_IMAGE_TAGS: dict[str, str] = {
    # Our serving images in each region's ECR (immutable tags), built from images/<name>/ on top of the NGC image
    # above whose tag they start with. Bump the suffix whenever images/ changes.
    "trtllm-serve": "1.3.0rc24-2",
    "triton-trtllm": "26.09-2",
}

AURORA_POSTGRESQL_VERSION = "16.6"
"""Aurora PostgreSQL engine for the pgvector store: ships pgvector 0.8.0 (HNSW, iterative index scans) and
Serverless v2 scaling to 0 ACUs (Aurora PostgreSQL release notes, 16.6)."""

EKS_ADDONS: dict[str, str] = {
    # EKS add-on versions for KUBERNETES_VERSION 1.35. coredns and kube-proxy are per Kubernetes version: the
    # "latest version of the Amazon EKS add-on type for each Kubernetes version" tables of the EKS user guide
    # (managing-coredns: 1.35 -> v1.14.2-eksbuild.4; managing-kube-proxy: 1.35 -> v1.35.3-eksbuild.2), read
    # 2026-12-04. vpc-cni, aws-ebs-csi-driver and eks-pod-identity-agent ship one version for every supported
    # Kubernetes version (the VPC CNI table lists the same build for all of them); kept from
    # `aws eks describe-addon-versions`, 2026-10.
    "vpc-cni": "v1.20.4-eksbuild.1",
    "coredns": "v1.14.2-eksbuild.4",
    "kube-proxy": "v1.35.3-eksbuild.2",
    "aws-ebs-csi-driver": "v1.50.1-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
}

EKS_NODE_AMI_ALIAS = "al2023@v20251016"
"""Karpenter EC2NodeClass amiSelectorTerms alias: Amazon Linux 2023 EKS-optimized AMI, pinned release
(accelerated variants are selected automatically for GPU instance types)."""

VALKEY_ENGINE_VERSION = "8.1"
"""ElastiCache for Valkey engine (parameter group family valkey8), as offered by ElastiCache in 2026-10."""
