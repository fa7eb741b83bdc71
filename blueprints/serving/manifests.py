"""Kubernetes objects of the model servers, as plain manifests (pure: spec in, dicts out).

One Deployment, Service, PodDisruptionBudget, options ConfigMap and KEDA ScaledObject per model version; one
ServiceAccount, PodMonitor and model Service per model (the model Service selects the primary version); one
Namespace and NetworkPolicy for all of them. `blueprints.components.serving` turns them into resources.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from blueprints.capacity import MAX_SURGE, pool_instance_types, size_model, spread_constraints
from blueprints.catalog.instances import InstanceType
from blueprints.catalog.metrics import LITELLM_REQUESTS, prometheus_label
from blueprints.conventions import AMP_AUTHENTICATION, GPU_TOLERATION, POOL_LABEL
from blueprints.rollout import VersionPlan, primary_version, version_plans
from blueprints.scheduling import cron_triggers
from blueprints.serving import triton
from blueprints.serving.engines import ENGINES, Engine
from blueprints.serving.options import llm_api_options, serving_shape
from blueprints.sizing import GIB
from blueprints.spec import ModelSpec, PlatformSpec

NAMESPACE = "models"
PART_OF = "llm-platform"
COMPONENT = "model-server"
MODEL_LABEL = "blueprints.io/model"
VERSION_LABEL = "blueprints.io/model-version"
ARTIFACT_KIND = "blueprints.io/artifact-kind"
MODELS_MOUNT = "/models"
"""Instance-store NVMe (Karpenter RAID0) through an emptyDir: where the checkpoint is synced to."""
OPTIONS_KEY = "llm-api-options.json"
"""JSON is YAML: trtllm-serve reads the file the entrypoint writes from it with yaml.safe_load."""
RUN_AS = 10001
"""The non-root user of the serving images (images/*/Dockerfile)."""

CLIENT_NAMESPACES = ("gateway",)
"""Namespaces whose pods may call the model servers (the LiteLLM gateway)."""
MONITORING_NAMESPACE = "monitoring"
"""Where Prometheus runs; it scrapes `/prometheus/metrics` on the model servers."""
POD_IDENTITY_AGENT = "169.254.170.23/32"
"""EKS Pod Identity agent (link-local on every node): where the AWS SDK fetches the pod's credentials."""

SYNC_BYTES_PER_SECOND = 400e6
"""Planning figure for one pod's S3 -> NVMe checkpoint sync (multi-part, parallel files)."""
LOAD_BYTES_PER_SECOND = 1.5e9
"""Planning figure for NVMe -> GPU weight loading."""
WARMUP_SECONDS = 300
"""Engine start: KV-cache allocation, CUDA graph capture for every batch size, autotuning."""
STARTUP_MARGIN = 2.0
PROBE_PERIOD_SECONDS = 10
HOST_SHARE = 0.75
"""Share of the node's CPU and memory (per GPU the pod takes) that a pod requests; the rest is system."""
SHM_CAP_GIB = 64


@dataclass(frozen=True)
class ModelObjects:
    """Everything rendered for one model; `versions` keeps the plan order (stable first)."""

    model: ModelSpec
    plans: list[VersionPlan]
    shared: list[dict[str, Any]]
    per_version: dict[str, list[dict[str, Any]]]


def labels(model: ModelSpec, version: str | None = None) -> dict[str, str]:
    base = {
        "app.kubernetes.io/name": model.name,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/component": COMPONENT,
        MODEL_LABEL: model.name,
    }
    return {**base, "app.kubernetes.io/version": version, VERSION_LABEL: version} if version else base


def selector(model: ModelSpec, version: str) -> dict[str, str]:
    return {MODEL_LABEL: model.name, VERSION_LABEL: version}


def version_name(model: ModelSpec, version: str) -> str:
    return f"{model.name}-{version}"


def engine_of(spec: PlatformSpec) -> Engine:
    return ENGINES[spec.serving.engine]


def service_url(spec: PlatformSpec, service: str) -> str:
    """In-cluster base URL of a model Service, the way the gateway addresses it."""
    return f"http://{service}.{NAMESPACE}.svc.cluster.local:{engine_of(spec).port}{engine_of(spec).api_path}"


def namespace_manifests() -> list[dict[str, Any]]:
    """The namespace (Pod Security `restricted`) and its NetworkPolicy: deny all but what the servers need."""
    namespace = {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": NAMESPACE, "labels": {
            "app.kubernetes.io/part-of": PART_OF,
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
        }},
    }
    from_namespaces = [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}
        for name in (*CLIENT_NAMESPACES, MONITORING_NAMESPACE)
    ]
    policy = {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "model-servers", "namespace": NAMESPACE, "labels": {
            "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/component": COMPONENT}},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": from_namespaces, "ports": [{"protocol": "TCP", "port": "http"}]}],
            "egress": [
                {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
                 "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                {"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT}}], "ports": [{"protocol": "TCP", "port": 80}]},
                # S3 (gateway endpoint: public S3 ranges) and STS/KMS (interface endpoints or public): HTTPS only.
                {"ports": [{"protocol": "TCP", "port": 443}]},
            ],
        },
    }
    return [namespace, policy]


def model_manifests(spec: PlatformSpec, model: ModelSpec, *, region: str, bucket: Any, image: Any,
                    metrics_url: Any) -> ModelObjects:
    """Every object of one self-hosted model in one region; `bucket`, `image` and `metrics_url` name resources
    made elsewhere (the region's artifacts bucket and ECR repository, the Prometheus query endpoint)."""
    plans = version_plans(spec, model)
    shared = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": False,
         "metadata": {"name": model.name, "namespace": NAMESPACE, "labels": labels(model)}},
        _service(model.name, model, primary_version(model), spec),
        _pod_monitor(model, spec),
    ]
    per_version = {
        plan.version: _version_manifests(spec, model, plan, region=region, bucket=bucket, image=image,
                                         metrics_url=metrics_url)
        for plan in plans
    }
    return ModelObjects(model, plans, shared, per_version)


def _version_manifests(spec: PlatformSpec, model: ModelSpec, plan: VersionPlan, *, region: str, bucket: Any,
                       image: Any, metrics_url: Any) -> list[dict[str, Any]]:
    name = version_name(model, plan.version)
    config = _config_map(spec, model, plan.version)
    objects = [config, _deployment(spec, model, plan, config, region=region, bucket=bucket, image=image),
               _service(name, model, plan.version, spec), _scaled_object(spec, model, plan, region, metrics_url)]
    if plan.max_replicas > 1:
        objects.append({
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels(model, plan.version)},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(model, plan.version)}},
        })
    return objects


def _config_map(spec: PlatformSpec, model: ModelSpec, version: str) -> dict[str, Any]:
    engine = engine_of(spec)
    options = llm_api_options(spec, model)
    if engine.name == "triton":
        data = triton.model_files(model, options, f"{MODELS_MOUNT}/{model.name}")
    else:
        data = {OPTIONS_KEY: json.dumps(options, indent=2, sort_keys=True) + "\n"}
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": f"{version_name(model, version)}-{engine.config_suffix}", "namespace": NAMESPACE,
                     "labels": labels(model, version), "annotations": {ARTIFACT_KIND: engine.artifact_kind}},
        "data": data,
    }


def _service(name: str, model: ModelSpec, version: str, spec: PlatformSpec) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels(model)},
        "spec": {"type": "ClusterIP", "selector": selector(model, version),
                 "ports": [{"name": "http", "port": engine_of(spec).port, "targetPort": "http", "protocol": "TCP"}]},
    }


def _pod_monitor(model: ModelSpec, spec: PlatformSpec) -> dict[str, Any]:
    engine = engine_of(spec)
    return {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor",
        "metadata": {"name": model.name, "namespace": NAMESPACE, "labels": labels(model)},
        "spec": {
            "selector": {"matchLabels": {MODEL_LABEL: model.name}},
            "podTargetLabels": [MODEL_LABEL, VERSION_LABEL],
            "podMetricsEndpoints": [{"port": engine.metrics_port_name, "path": engine.metrics_path,
                                     "interval": "15s"}],
        },
    }


def pod_resources(spec: PlatformSpec, model: ModelSpec) -> dict[str, Any]:
    """Requests = limits (Guaranteed QoS): the GPUs, and the pod's share of the smallest node that fits it."""
    node = smallest_node(spec, model)
    share = model.tp / node.gpus
    weights_gib = serving_shape(spec, model).weights_bytes / GIB
    values = {
        "cpu": str(math.floor(node.vcpus * share * HOST_SHARE)),
        "memory": f"{math.floor(node.memory_gib * share * HOST_SHARE)}Gi",
        "nvidia.com/gpu": str(model.tp),
        "ephemeral-storage": f"{math.ceil(weights_gib * 1.2) + 20}Gi",
    }
    return {"requests": values, "limits": dict(values)}


def smallest_node(spec: PlatformSpec, model: ModelSpec) -> InstanceType:
    pool = spec.pool(model.gpu_pool or "")
    return min((i for i in pool_instance_types(spec, pool) if i.gpus >= model.tp),
               key=lambda instance: (instance.gpus, instance.usd_per_hour))


def startup_failure_threshold(spec: PlatformSpec, model: ModelSpec) -> int:
    """Probe attempts covering sync + load + warm-up of this model's weights, with a safety margin."""
    weights = serving_shape(spec, model).weights_bytes
    seconds = (weights / SYNC_BYTES_PER_SECOND + weights / LOAD_BYTES_PER_SECOND + WARMUP_SECONDS) * STARTUP_MARGIN
    return math.ceil(seconds / PROBE_PERIOD_SECONDS)


def _deployment(spec: PlatformSpec, model: ModelSpec, plan: VersionPlan, config: dict[str, Any], *,
                region: str, bucket: Any, image: Any) -> dict[str, Any]:
    engine = engine_of(spec)
    name = version_name(model, plan.version)
    resources = pod_resources(spec, model)
    memory_gib = int(resources["limits"]["memory"].removesuffix("Gi"))
    weights_gib = serving_shape(spec, model).weights_bytes / GIB
    checksum = hashlib.sha256(json.dumps(config["data"], sort_keys=True).encode()).hexdigest()
    env = [
        {"name": "MODEL_SOURCE", "value": model_source(bucket, model, plan.version)},
        {"name": "MODEL_NAME", "value": model.name},
        {"name": "MODEL_VERSION", "value": plan.version},
        {"name": "MODEL_PRECISION", "value": model.precision},
        {"name": "MODEL_DIR", "value": f"{MODELS_MOUNT}/{model.name}"},
        {"name": "TP_SIZE", "value": str(model.tp)},
        {"name": "PREWARM_PAGE_CACHE", "value": "true"},
        {"name": "SERVER", "value": engine.name},
        {"name": "AWS_REGION", "value": region},
        {"name": "HOME", "value": "/tmp"},
        *engine.config_env(config["metadata"]["name"]),
    ]
    probe = {"httpGet": {"path": engine.health_path, "port": "http"}, "periodSeconds": PROBE_PERIOD_SECONDS,
             "timeoutSeconds": 5}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels(model, plan.version)},
        "spec": {
            "replicas": plan.min_replicas,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector(model, plan.version)},
            # One surge pod at a time (the GPU pool keeps room for it), never fewer ready pods than wanted.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": MAX_SURGE, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": labels(model, plan.version),
                             "annotations": {"blueprints.io/config-sha256": checksum,
                                             "kubectl.kubernetes.io/default-container": "server"}},
                "spec": {
                    "serviceAccountName": model.name,
                    "automountServiceAccountToken": False,
                    "terminationGracePeriodSeconds": 120,
                    "nodeSelector": {POOL_LABEL: model.gpu_pool},
                    "tolerations": [GPU_TOLERATION],
                    # The node packing that prices the fleet and sizes the NodePool follows the same rules.
                    "topologySpreadConstraints": spread_constraints(spec, selector(model, plan.version)),
                    "securityContext": {"runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS,
                                        "fsGroup": RUN_AS, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "server",
                        "image": image,
                        "imagePullPolicy": "IfNotPresent",
                        "env": env,
                        "ports": engine.container_ports(),
                        "resources": resources,
                        "startupProbe": {**probe, "failureThreshold": startup_failure_threshold(spec, model)},
                        "readinessProbe": {**probe, "failureThreshold": 3},
                        "livenessProbe": {**probe, "periodSeconds": 20, "failureThreshold": 3},
                        "lifecycle": {"preStop": {"sleep": {"seconds": 15}}},
                        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
                        "volumeMounts": [
                            {"name": "models", "mountPath": MODELS_MOUNT},
                            {"name": "dshm", "mountPath": "/dev/shm"},
                            {"name": "tmp", "mountPath": "/tmp"},
                            *engine.config_mounts(),
                        ],
                    }],
                    "volumes": [
                        {"name": "models", "emptyDir": {"sizeLimit": f"{math.ceil(weights_gib * 1.2)}Gi"}},
                        # NCCL and the executor's IPC use /dev/shm; it counts against the memory limit.
                        {"name": "dshm", "emptyDir": {"medium": "Memory",
                                                      "sizeLimit": f"{min(SHM_CAP_GIB, memory_gib // 4)}Gi"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "10Gi"}},
                        *engine.config_volumes(config["metadata"]["name"]),
                    ],
                },
            },
        },
    }


def _scaled_object(spec: PlatformSpec, model: ModelSpec, plan: VersionPlan, region: str,
                   metrics_url: Any) -> dict[str, Any]:
    engine = engine_of(spec)
    autoscaling = model.autoscaling
    scope = f'namespace="{NAMESPACE}",{prometheus_label(MODEL_LABEL)}="{model.name}",' \
            f'{prometheus_label(VERSION_LABEL)}="{plan.version}"'
    triggers = [{
        "type": "prometheus", "name": "waiting-requests", "metricType": "AverageValue",
        "metadata": {"serverAddress": metrics_url, "query": f"sum({engine.waiting_metric}{{{scope}}})",
                     "threshold": _number(autoscaling.target_waiting_requests), "ignoreNullValues": "true"},
    }]
    if engine.kv_cache_metric:
        triggers.append({
            "type": "prometheus", "name": "kv-cache-utilization", "metricType": "Value",
            "metadata": {"serverAddress": metrics_url, "query": f"avg({engine.kv_cache_metric}{{{scope}}})",
                         "threshold": _number(autoscaling.kv_cache_utilization_target),
                         "ignoreNullValues": "true"},
        })
    if plan.min_replicas == 0:
        # No pod, no server metrics: an idle version wakes on the gateway's request counter for its model.
        planned = size_model(spec, model)
        per_replica = model.traffic.requests_per_second / max(1, planned.replicas)
        triggers.append({
            "type": "prometheus", "name": "gateway-requests", "metricType": "AverageValue",
            "metadata": {
                "serverAddress": metrics_url,
                "query": f'sum(rate({LITELLM_REQUESTS}{{requested_model="{model.name}"}}[2m])) '
                         f"* {plan.weight / 100}",
                "threshold": _number(round(per_replica, 3)), "activationThreshold": "0",
                "ignoreNullValues": "true"},
        })
    if spec.observability.stack == "managed":
        # Amazon Managed Prometheus: SigV4-signed queries with KEDA's own pod identity.
        for trigger in triggers:
            trigger["metadata"]["awsRegion"] = region
            trigger["authenticationRef"] = {"name": AMP_AUTHENTICATION, "kind": "ClusterTriggerAuthentication"}
    # Known traffic windows pre-warm replicas ahead of the metrics; a canary pre-warms its share.
    triggers += cron_triggers(spec, model.name, weight_percent=plan.weight)
    name = version_name(model, plan.version)
    return {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels(model, plan.version)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicaCount": plan.min_replicas,
            "maxReplicaCount": plan.max_replicas,
            "pollingInterval": 15,
            "cooldownPeriod": autoscaling.cooldown_seconds,
            # A new pod needs minutes before it serves: don't scale a fresh Deployment in meanwhile.
            "initialCooldownPeriod": startup_failure_threshold(spec, model) * PROBE_PERIOD_SECONDS,
            "advanced": {"horizontalPodAutoscalerConfig": {"behavior": {
                "scaleUp": {"stabilizationWindowSeconds": 0,
                            "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}]},
                "scaleDown": {"stabilizationWindowSeconds": autoscaling.cooldown_seconds,
                              "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}]},
            }}},
            "triggers": triggers,
        },
    }


def model_source(bucket: Any, model: ModelSpec, version: str) -> Any:
    """The version's S3 prefix: a string, or, for a bucket name known only after deployment (a pulumi Output),
    that Output mapped through `apply` (duck-typed, so this generator needs no pulumi import)."""
    path = f"/models/{model.name}/{version}/"
    return f"s3://{bucket}{path}" if isinstance(bucket, str) else bucket.apply(lambda name: f"s3://{name}{path}")


def _number(value: float) -> str:
    return f"{value:g}"
