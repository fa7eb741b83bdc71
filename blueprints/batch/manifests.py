"""Kubernetes objects of the batch tier, as plain manifests (pure: spec in, dicts out).

The jobs API (Deployment + Service `batch-api`, behind the gateway's ALB on /v1/batches and /v1/files) and the
worker (Deployment scaled by a KEDA ScaledObject on the SQS queue depth, 0 when idle, on a spot NodePool where
the platform runs Karpenter). Both use the same image (images/batch-worker) with different commands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blueprints.batch.settings import Settings, env_name
from blueprints.conventions import (
    CONTAINER_SECURITY,
    DNS_EGRESS,
    HTTPS_EGRESS,
    NODE_CLASS,
    POD_IDENTITY_EGRESS,
    RESTRICTED,
    SYSTEM_NODE_LABEL,
    deployment,
    labels,
    pod_selector,
)
from blueprints.spec import PlatformSpec

NAMESPACE = "batch"
API = "batch-api"
WORKER = "batch-worker"
API_PORT = 8080
SERVICE_PORT = 80
INGRESS_PATHS = ("/v1/batches", "/v1/files")
"""Paths the gateway's ALB routes to Service `batch-api` port 80 (namespace `batch`; see gateway/edge.py)."""
API_KEYS_SECRET = "batch-api-keys"
"""Kubernetes Secret (External Secrets) with `api-keys`: the keys batch clients present (the batch tier's own
generated key, never the gateway's master key). Mounted into the API only."""
UPSTREAM_KEY_SECRET = "batch-upstream-key"
"""Kubernetes Secret (External Secrets) with `upstream-api-key`: what the worker sends to the gateway. Mounted into
the worker only."""
CREDENTIALS_DIR = "/var/run/secrets/batch"
SQS_AUTHENTICATION = "batch-sqs"
NODE_POOL = "batch"
NODE_POOL_LABEL = "blueprints.io/batch-pool"
BATCH_TAINT = {"key": "blueprints.io/batch", "value": "true", "effect": "NoSchedule"}
WORKER_INSTANCE_CATEGORIES = ["c", "m"]
WORKER_CPU_LIMIT = 64
"""NodePool limit on vCPUs for batch workers (they call the gateway: CPU and network bound, not GPU)."""
RUN_AS = 10001
"""The non-root user of images/batch-worker."""
HEARTBEAT_FILE = "/tmp/worker-heartbeat"
HEARTBEAT_MAX_AGE_S = 120
"""The worker loop turns at least every SQS long-poll (20 s); a heartbeat older than this means it is stuck."""


def queue_visibility_timeout_s(spec: PlatformSpec) -> int:
    """One delivery may take every attempt at the full timeout plus the backoff between them; the message must
    stay invisible that long, or a second worker would take it while the first still works on it. The spec's
    bounds (timeout <= 3600 s, retries <= 10) keep it under SQS's 12-hour maximum."""
    batch = spec.batch
    backoff = sum(min(Settings.backoff_cap_s, Settings.backoff_base_s * 2 ** i) for i in range(batch.retries))
    return int(batch.request_timeout_s * (batch.retries + 1) + backoff + 60)


def uses_spot_pool(spec: PlatformSpec) -> bool:
    """Karpenter runs only on platforms with GPU pools; elsewhere the workers share the system nodes."""
    return spec.batch.spot and bool(spec.cluster.gpu_pools)


RESOURCE_FIELDS = ("bucket", "kms_key_id", "jobs_table", "requests_table", "queue_url", "dlq_url")
"""Settings that name AWS resources (known only once they exist)."""
CREDENTIALS: dict[str, tuple[str, str, str]] = {
    API: ("api_keys_file", API_KEYS_SECRET, "api-keys"),
    WORKER: ("upstream_api_key_file", UPSTREAM_KEY_SECRET, "upstream-api-key"),
}
"""Per Deployment: the setting naming its credential file, the Secret mounted at CREDENTIALS_DIR, the file (key).
A mounted Secret (not an environment variable) is updated in place when External Secrets refreshes it, and the
runtime re-reads the file when it changes: a rotated key is used without restarting the pods."""
CREDENTIAL_FIELDS = ("api_keys", "api_keys_file", "upstream_api_key", "upstream_api_key_file")
"""Settings never written into the shared environment (the file settings are set per container)."""


def runtime_settings(spec: PlatformSpec, *, upstream_url: str, **resources: str) -> Settings:
    """The API's and worker's settings for this spec; `resources`: every RESOURCE_FIELDS name."""
    batch = spec.batch
    return Settings(
        **resources, upstream_url=upstream_url, concurrency=batch.concurrency, retries=batch.retries,
        max_deliveries=batch.max_deliveries, max_lines=batch.max_lines,
        max_file_bytes=batch.max_file_mib * 1024 * 1024, request_timeout_s=batch.request_timeout_s,
        retention_days=batch.retention_days, heartbeat_file=HEARTBEAT_FILE,
    )


def runtime_environment(spec: PlatformSpec, upstream_url: str, resources: Mapping[str, Any]) -> dict[str, Any]:
    """The BATCH_* variables of both containers: the spec's settings plus the resource names (plain strings or
    Pulumi Outputs), without the secret ones."""
    settings = runtime_settings(spec, upstream_url=upstream_url, **{field: "" for field in RESOURCE_FIELDS})
    secret = {env_name(field) for field in CREDENTIAL_FIELDS}
    return {**{name: value for name, value in settings.to_env().items() if name not in secret},
            **{env_name(field): resources[field] for field in RESOURCE_FIELDS}}


def _container(name: str, image: Any, command: list[str], variables: Mapping[str, Any], region: str,
               resources: dict[str, Any], probes: dict[str, Any]) -> dict[str, Any]:
    field, _, key = CREDENTIALS[name]
    env = [*[{"name": variable, "value": value} for variable, value in variables.items()],
           {"name": env_name(field), "value": f"{CREDENTIALS_DIR}/{key}"}, {"name": "AWS_REGION", "value": region}]
    return {
        "name": name, "image": image, "command": command, "env": env, "resources": resources,
        "securityContext": CONTAINER_SECURITY, **probes,
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"},
                         {"name": "credentials", "mountPath": CREDENTIALS_DIR, "readOnly": True}],
    }


def _deployment(name: str, replicas: int, container: dict[str, Any], placement: dict[str, Any],
                grace_s: int) -> dict[str, Any]:
    return deployment(name, NAMESPACE, "batch", replicas, {
        "serviceAccountName": name,
        # AWS credentials come from EKS Pod Identity's own projected token, not the API token.
        "automountServiceAccountToken": False,
        # fsGroup: the credential files (mode 0440) belong to the pod's group.
        "securityContext": {**RESTRICTED, "runAsUser": RUN_AS, "runAsGroup": RUN_AS, "fsGroup": RUN_AS},
        "terminationGracePeriodSeconds": grace_s,
        **placement,
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
                    {"name": "credentials", "secret": {"secretName": CREDENTIALS[name][1], "defaultMode": 0o440}}],
    })


def _pdb(name: str) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels(name, "batch")},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": pod_selector(name)}}}


def api_replicas(spec: PlatformSpec) -> int:
    return 2 if spec.environment == "prod" else 1


def workload_manifests(spec: PlatformSpec, variables: Mapping[str, Any], *, image: Any, region: str
                       ) -> list[dict[str, Any]]:
    """ServiceAccounts, the API Deployment + Service (+ PDB), the worker Deployment + PDB. `variables`: from
    `runtime_environment`; `image` may be a Pulumi Output."""
    http = {"httpGet": {"path": "/healthz", "port": "http"}}
    api = _container(API, image, ["python", "-m", "blueprints.batch.api"], variables, region,
                     {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
                     {"readinessProbe": {**http, "periodSeconds": 10},
                      "livenessProbe": {**http, "periodSeconds": 20, "failureThreshold": 3}})
    api["ports"] = [{"name": "http", "containerPort": API_PORT}]
    alive = {"exec": {"command": ["python", "-c", "import os, sys, time; sys.exit(time.time() - os.path.getmtime("
                                  f"{HEARTBEAT_FILE!r}) > {HEARTBEAT_MAX_AGE_S})"]}}
    worker = _container(WORKER, image, ["python", "-m", "blueprints.batch.worker"], variables, region,
                        {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
                        {"readinessProbe": {**alive, "initialDelaySeconds": 5, "periodSeconds": 30,
                                            "timeoutSeconds": 10},
                         "livenessProbe": {**alive, "initialDelaySeconds": 30, "periodSeconds": 60,
                                           "timeoutSeconds": 10}})
    on_spot = {"nodeSelector": {NODE_POOL_LABEL: NODE_POOL},
               "tolerations": [{**BATCH_TAINT, "operator": "Equal"}]}
    system = {"nodeSelector": SYSTEM_NODE_LABEL}
    # A worker stopping (scale-in, spot reclaim) finishes the requests in flight: one full timeout.
    worker_grace = int(spec.batch.request_timeout_s) + 30
    replicas = api_replicas(spec)
    objects = [
        *[{"apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": False,
           "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels(name, "batch")}}
          for name in (API, WORKER)],
        _deployment(API, replicas, api, system, 30),
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": API, "namespace": NAMESPACE, "labels": labels(API, "batch")},
         "spec": {"selector": pod_selector(API),
                  "ports": [{"name": "http", "port": SERVICE_PORT, "targetPort": "http"}]}},
        _deployment(WORKER, 0, worker, on_spot if uses_spot_pool(spec) else system, worker_grace),
        _pdb(WORKER),
    ]
    if replicas > 1:
        objects.append(_pdb(API))
    return objects


def network_policies(vpc_cidr: Any) -> list[dict[str, Any]]:
    """Nothing reaches the workers; the API only from the VPC (the ALB's IP targets) on its port. Egress: DNS,
    the gateway, the pod identity agent, and HTTPS (AWS APIs, webhooks)."""
    base = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy"}
    return [
        {**base, "metadata": {"name": "batch", "namespace": NAMESPACE, "labels": labels("batch", "network")},
         "spec": {
             "podSelector": {},
             "policyTypes": ["Ingress", "Egress"],
             "ingress": [],
             "egress": [
                 DNS_EGRESS,
                 {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway"}}}]},
                 POD_IDENTITY_EGRESS,
                 HTTPS_EGRESS,
             ],
         }},
        {**base, "metadata": {"name": f"{API}-from-alb", "namespace": NAMESPACE, "labels": labels(API, "network")},
         "spec": {
             "podSelector": {"matchLabels": pod_selector(API)},
             "policyTypes": ["Ingress"],
             "ingress": [{"from": [{"ipBlock": {"cidr": vpc_cidr}}],
                          "ports": [{"protocol": "TCP", "port": API_PORT}]}],
         }},
    ]


def scaling_manifests(spec: PlatformSpec, *, queue_url: str, region: str, scaler_role_arn: str
                      ) -> list[dict[str, Any]]:
    """KEDA TriggerAuthentication (assumes the scaler role) and the worker's ScaledObject on queue depth."""
    batch = spec.batch
    return [
        {"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication",
         "metadata": {"name": SQS_AUTHENTICATION, "namespace": NAMESPACE, "labels": labels(WORKER, "batch")},
         "spec": {"podIdentity": {"provider": "aws", "roleArn": scaler_role_arn}}},
        {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
         "metadata": {"name": WORKER, "namespace": NAMESPACE, "labels": labels(WORKER, "batch")},
         "spec": {
             "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": WORKER},
             "minReplicaCount": 0,
             "maxReplicaCount": batch.max_workers,
             "pollingInterval": 15,
             "cooldownPeriod": 300,
             "triggers": [{
                 "type": "aws-sqs-queue", "name": "queue-depth",
                 "authenticationRef": {"name": SQS_AUTHENTICATION},
                 "metadata": {"queueURL": queue_url, "awsRegion": region,
                              "queueLength": str(batch.messages_per_worker), "activationQueueLength": "0",
                              "scaleOnInFlight": "true"},
             }],
         }},
    ]


def node_pool_manifest(spec: PlatformSpec) -> dict[str, Any]:
    """Karpenter NodePool for the workers: spot first (on-demand fallback), CPU instances, tainted for batch."""
    return {
        "apiVersion": "karpenter.sh/v1", "kind": "NodePool",
        "metadata": {"name": NODE_POOL, "labels": {"app.kubernetes.io/part-of": "llm-platform"}},
        "spec": {
            "template": {
                "metadata": {"labels": {NODE_POOL_LABEL: NODE_POOL}},
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": NODE_CLASS},
                    "requirements": [
                        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot", "on-demand"]},
                        {"key": "karpenter.k8s.aws/instance-category", "operator": "In",
                         "values": WORKER_INSTANCE_CATEGORIES},
                        {"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": ["5"]},
                        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                    ],
                    "taints": [BATCH_TAINT],
                    "expireAfter": "168h",
                },
            },
            "limits": {"cpu": str(WORKER_CPU_LIMIT)},
            "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "2m"},
        },
    }

