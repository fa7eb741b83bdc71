"""Every external version the platform deploys, pinned in one place, each with where it comes from.

Adding a chart or an image is one entry here. Python packages are pinned in pyproject.toml.
"""

from __future__ import annotations

from pydantic import BaseModel


class Chart(BaseModel, frozen=True):
    chart: str
    repository: str
    version: str
    source: str


class Image(BaseModel, frozen=True):
    repository: str
    tag: str
    source: str

    @property
    def ref(self) -> str:
        return f"{self.repository}:{self.tag}"


KUBERNETES_VERSION = "1.33"
"""EKS standard-support version the add-on versions below were chosen for."""

CHARTS: dict[str, Chart] = {
    "karpenter": Chart(
        chart="karpenter", repository="oci://public.ecr.aws/karpenter", version="1.14.1",
        source="aws/karpenter-provider-aws release v1.14.1 (CRDs in shared/crds are from the same tag)",
    ),
    "gpu-operator": Chart(
        chart="gpu-operator", repository="https://helm.ngc.nvidia.com/nvidia", version="v26.7.0",
        source="NVIDIA/gpu-operator release v26.7.0 (ClusterPolicy CRD in shared/crds from the same tag)",
    ),
    "nvidia-device-plugin": Chart(
        chart="nvidia-device-plugin", repository="https://nvidia.github.io/k8s-device-plugin", version="0.18.0",
        source="NVIDIA/k8s-device-plugin release v0.18.0",
    ),
    "keda": Chart(
        chart="keda", repository="https://kedacore.github.io/charts", version="2.20.2",
        source="kedacore/charts for KEDA v2.20.2 (CRDs in shared/crds from the same tag)",
    ),
    "external-secrets": Chart(
        chart="external-secrets", repository="https://charts.external-secrets.io", version="2.9.0",
        source="external-secrets/external-secrets release v2.9.0 (CRDs in shared/crds from the same tag)",
    ),
    "aws-load-balancer-controller": Chart(
        chart="aws-load-balancer-controller", repository="https://aws.github.io/eks-charts", version="1.14.1",
        source="aws/eks-charts, aws-load-balancer-controller chart for controller v2.14.1",
    ),
    "kube-prometheus-stack": Chart(
        chart="kube-prometheus-stack", repository="https://prometheus-community.github.io/helm-charts",
        version="80.4.1",
        source="prometheus-community/helm-charts, kube-prometheus-stack on prometheus-operator v0.93.0",
    ),
    "envoy-gateway": Chart(
        chart="gateway-helm", repository="oci://docker.io/envoyproxy", version="v1.9.0",
        source="envoyproxy/gateway release v1.9.0 (CRDs in shared/crds from the same tag)",
    ),
    "inferencepool": Chart(
        chart="inferencepool", repository="oci://registry.k8s.io/gateway-api-inference-extension/charts",
        version="v1.6.0",
        source="kubernetes-sigs/gateway-api-inference-extension release v1.6.0 (InferencePool CRD in shared/crds)",
    ),
    "dcgm-exporter": Chart(
        chart="dcgm-exporter", repository="https://nvidia.github.io/dcgm-exporter/helm-charts", version="4.4.1",
        source="NVIDIA/dcgm-exporter chart 4.4.1",
    ),
    "aws-for-fluent-bit": Chart(
        chart="aws-for-fluent-bit", repository="https://aws.github.io/eks-charts", version="0.1.35",
        source="aws/eks-charts, aws-for-fluent-bit",
    ),
    "opentelemetry-collector": Chart(
        chart="opentelemetry-collector", repository="https://open-telemetry.github.io/opentelemetry-helm-charts",
        version="0.139.0", source="open-telemetry/opentelemetry-helm-charts",
    ),
    "qdrant": Chart(
        chart="qdrant", repository="https://qdrant.github.io/qdrant-helm", version="1.15.4",
        source="qdrant/qdrant-helm charts/qdrant/Chart.yaml 1.15.4 (Qdrant v1.15.4)",
    ),
}

IMAGES: dict[str, Image] = {
    "tensorrt-llm": Image(
        repository="nvcr.io/nvidia/tensorrt-llm/release", tag="1.0.0",
        source="NGC catalog, TensorRT-LLM release image (PyTorch backend, trtllm-serve)",
    ),
    "tritonserver-trtllm": Image(
        repository="nvcr.io/nvidia/tritonserver", tag="25.08-trtllm-python-py3",
        source="NGC catalog, Triton Inference Server with the TensorRT-LLM backend",
    ),
    "litellm": Image(
        repository="ghcr.io/berriai/litellm", tag="v1.81.16-stable",
        source="BerriAI/litellm release v1.81.16 (the same version is pinned for tests in pyproject.toml)",
    ),
    "text-embeddings-inference": Image(
        repository="ghcr.io/huggingface/text-embeddings-inference", tag="cpu-1.8",
        source="huggingface/text-embeddings-inference 1.8 CPU image (OpenAI-compatible /v1/embeddings)",
    ),
    "postgres-client": Image(
        repository="public.ecr.aws/docker/library/postgres", tag="16.10-alpine",
        source="Docker official image, ECR Public mirror; psql matching AURORA_POSTGRESQL_VERSION's major",
    ),
}

AURORA_POSTGRESQL_VERSION = "16.6"
"""Aurora PostgreSQL engine for the pgvector store: ships pgvector 0.8.0 (HNSW, iterative index scans) and
Serverless v2 scaling to 0 ACUs (Aurora PostgreSQL release notes, 16.6)."""

EKS_ADDONS: dict[str, str] = {
    # `aws eks describe-addon-versions --kubernetes-version 1.33`, default versions as of 2026-10.
    "vpc-cni": "v1.20.4-eksbuild.1",
    "coredns": "v1.12.3-eksbuild.1",
    "kube-proxy": "v1.33.5-eksbuild.2",
    "aws-ebs-csi-driver": "v1.50.1-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
}

EKS_NODE_AMI_ALIAS = "al2023@v20251016"
"""Karpenter EC2NodeClass amiSelectorTerms alias: Amazon Linux 2023 EKS-optimized AMI, pinned release
(accelerated variants are selected automatically for GPU instance types)."""
