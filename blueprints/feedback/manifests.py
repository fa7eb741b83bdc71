"""Kubernetes objects of the feedback service, as plain manifests (pure: spec in, dicts out).

Namespace `feedback`: the API (Deployment + Service `feedback-api`, behind the gateway's ALB on /v1/feedback; its
pod identity may put and get items of the feedback table only) and, where answers are sampled, the quality worker
(Deployment `feedback-quality`: drift clusters and judge scores; no AWS access; the gateway's master key for its
judge calls). Both run images/feedback-api and read the gateway's Redis (TLS, its AUTH token).
"""

from __future__ import annotations

from typing import Any

from blueprints.conventions import (
    CONTAINER_SECURITY,
    DNS_EGRESS,
    HTTPS_EGRESS,
    POD_IDENTITY_EGRESS,
    RESTRICTED,
    SYSTEM_NODE_LABEL,
    deployment,
    labels,
    pod_selector,
)
from blueprints.feedback.settings import ENV_PREFIX
from blueprints.observability.monitors import NAMESPACE as MONITORING_NAMESPACE
from blueprints.spec import PlatformSpec

NAMESPACE = "feedback"
API = "feedback-api"
QUALITY = "feedback-quality"
API_PORT = 8080
METRICS_PORT = 9090
"""The quality worker's /metrics (the API serves /metrics on API_PORT)."""
SERVICE_PORT = 80
INGRESS_PATHS = ("/v1/feedback",)
"""Paths the gateway's ALB routes to Service `feedback-api` port 80 (see gateway/edge.py)."""
REDIS_SECRET = "feedback-redis"
"""Kubernetes Secret (External Secrets) with `password`: the gateway's Valkey AUTH token."""
GATEWAY_KEY_SECRET = "feedback-gateway-key"
"""Kubernetes Secret (External Secrets) with `gateway-key`: the gateway key of the quality worker's judge calls."""
CREDENTIALS_DIR = "/var/run/secrets/feedback"
RUN_AS = 10001
"""The non-root user of images/feedback-api."""
REDIS_PORT = 6379


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def runs_quality_worker(spec: PlatformSpec) -> bool:
    return spec.feedback.samples_prompts()


def replicas(spec: PlatformSpec) -> int:
    return 2 if spec.environment == "prod" else 1


def _environment(spec: PlatformSpec, region: str, table: Any, redis_host: Any, gateway_url: str
                 ) -> list[dict[str, Any]]:
    plain = {"table": table, "gateway_url": gateway_url, "redis_host": redis_host, "redis_port": str(REDIS_PORT),
             "redis_ssl": "true", "judge_model": spec.feedback.judge_model or "",
             "judge_rubric": spec.feedback.judge_rubric, "metrics_port": str(METRICS_PORT)}
    return [*[{"name": env_name(field), "value": value} for field, value in plain.items()],
            {"name": env_name("redis_password"),
             "valueFrom": {"secretKeyRef": {"name": REDIS_SECRET, "key": "password"}}},
            {"name": "AWS_REGION", "value": region}]


def _deployment(name: str, count: int, container: dict[str, Any], volumes: list[dict[str, Any]]) -> dict[str, Any]:
    return deployment(name, NAMESPACE, "feedback", count, {
        "serviceAccountName": name,
        "automountServiceAccountToken": False,
        "securityContext": {**RESTRICTED, "runAsUser": RUN_AS, "runAsGroup": RUN_AS, "fsGroup": RUN_AS},
        "nodeSelector": SYSTEM_NODE_LABEL,
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}, *volumes],
    })


def _container(name: str, image: Any, module: str, env: list[dict[str, Any]], port: int,
               mounts: list[dict[str, Any]]) -> dict[str, Any]:
    probe = {"tcpSocket": {"port": "http" if port == API_PORT else "metrics"}}
    return {
        "name": name, "image": image, "command": ["python", "-m", module], "env": env,
        "ports": [{"name": "http" if port == API_PORT else "metrics", "containerPort": port}],
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "securityContext": CONTAINER_SECURITY,
        "readinessProbe": {**probe, "periodSeconds": 10},
        "livenessProbe": {**probe, "periodSeconds": 20, "failureThreshold": 3},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, *mounts],
    }


def workload_manifests(spec: PlatformSpec, *, image: Any, region: str, table: Any, redis_host: Any,
                       gateway_url: str) -> list[dict[str, Any]]:
    """ServiceAccounts, the API Deployment + Service (+ PDB) and the quality worker. `image`, `table` and
    `redis_host` may be Pulumi Outputs; `gateway_url`: the gateway's in-cluster base URL (keys and judge calls)."""
    env = _environment(spec, region, table, redis_host, gateway_url)
    count = replicas(spec)
    api = _container(API, image, "blueprints.feedback.api", env, API_PORT, [])
    api["readinessProbe"] = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}
    names = [API, *([QUALITY] if runs_quality_worker(spec) else [])]
    objects: list[dict[str, Any]] = [
        *[{"apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": False,
           "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels(name, "feedback")}}
          for name in names],
        _deployment(API, count, api, []),
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": API, "namespace": NAMESPACE, "labels": labels(API, "feedback")},
         "spec": {"selector": pod_selector(API),
                  "ports": [{"name": "http", "port": SERVICE_PORT, "targetPort": "http"}]}},
    ]
    if count > 1:
        objects.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                        "metadata": {"name": API, "namespace": NAMESPACE, "labels": labels(API, "feedback")},
                        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": pod_selector(API)}}})
    if runs_quality_worker(spec):
        key_file = {"name": env_name("gateway_key_file"), "value": f"{CREDENTIALS_DIR}/gateway-key"}
        worker = _container(QUALITY, image, "blueprints.feedback.quality", [*env, key_file], METRICS_PORT,
                            [{"name": "credentials", "mountPath": CREDENTIALS_DIR, "readOnly": True}])
        objects.append(_deployment(QUALITY, 1, worker, [
            {"name": "credentials", "secret": {"secretName": GATEWAY_KEY_SECRET, "defaultMode": 0o440}}]))
    return objects


def network_policies(vpc_cidr: Any, gateway_namespace: str, gateway_port: int) -> list[dict[str, Any]]:
    """In: the ALB (VPC addresses) to the API's port, Prometheus to both /metrics. Out: DNS, the gateway, Redis in
    the VPC, the pod identity agent, HTTPS (DynamoDB)."""
    base = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy"}
    monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}}}
    gateway = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": gateway_namespace}}}
    return [{**base, "metadata": {"name": NAMESPACE, "namespace": NAMESPACE, "labels": labels(NAMESPACE, "network")},
             "spec": {
                 "podSelector": {},
                 "policyTypes": ["Ingress", "Egress"],
                 "ingress": [{"from": [monitoring], "ports": [{"protocol": "TCP", "port": API_PORT},
                                                               {"protocol": "TCP", "port": METRICS_PORT}]}],
                 "egress": [DNS_EGRESS, {"to": [gateway], "ports": [{"protocol": "TCP", "port": gateway_port}]},
                            {"to": [{"ipBlock": {"cidr": vpc_cidr}}],
                             "ports": [{"protocol": "TCP", "port": REDIS_PORT}]},
                            POD_IDENTITY_EGRESS, HTTPS_EGRESS],
             }},
            {**base, "metadata": {"name": f"{API}-from-alb", "namespace": NAMESPACE,
                                  "labels": labels(API, "network")},
             "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": API}}, "policyTypes": ["Ingress"],
                      "ingress": [{"from": [{"ipBlock": {"cidr": vpc_cidr}}],
                                   "ports": [{"protocol": "TCP", "port": API_PORT}]}]}}]

