"""Kubernetes objects of the LiteLLM gateway (pure: spec and a few addresses in, manifests out).

The ALB in front is Pulumi's (components/edge.py, bound to the Service through a TargetGroupBinding); TLS ends at
the ALB and the ALB reaches the pods over the VPC (target type `ip`), allowed by the NetworkPolicy from the VPC
CIDR only.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from blueprints.batch.manifests import NAMESPACE as BATCH_NAMESPACE
from blueprints.conventions import PART_OF
from blueprints.experiments.gateway import litellm_ab_settings
from blueprints.feedback.gateway import litellm_quality_settings
from blueprints.feedback.manifests import NAMESPACE as FEEDBACK_NAMESPACE
from blueprints.gateway.alb_identity_auth import GROUP_TEAMS_FILE
from blueprints.gateway.audit import BUCKET_ENV as AUDIT_BUCKET_ENV
from blueprints.gateway.capacity import HPA_CPU_UTILIZATION
from blueprints.gateway.data_plane import litellm_sizing
from blueprints.gateway.database import POSTGRES_PORT, database_environment
from blueprints.gateway.guardrails import guardrail_files
from blueprints.gateway.litellm_config import (
    HOOKS_MODULE,
    MASTER_KEY_AUTH_MODULE,
    MASTER_KEY_ENV,
    REDIS_ENV,
    litellm_config,
    needs_redis,
    proxy_environment,
    render_config,
)
from blueprints.gateway.master_key_auth import KEY_FILE_VARIABLE
from blueprints.gateway.providers import provider_credentials
from blueprints.gateway.sso import group_teams_file, identity_environment
from blueprints.observability.tracing import OTLP_HTTP_PORT
from blueprints.prompts.gateway import litellm_prompt_settings
from blueprints.serving.manifests import NAMESPACE as MODELS_NAMESPACE
from blueprints.spec import PlatformSpec

NAMESPACE = "gateway"
"""The model servers' NetworkPolicy admits this namespace (blueprints.serving.manifests.CLIENT_NAMESPACES)."""
NAME = "litellm"
COMPONENT = "gateway"
PORT = 4000
CONFIG_DIR = "/etc/litellm"
CONFIG_KEY = "config.yaml"
ARTIFACT_ANNOTATION = "blueprints.io/artifact-kind"
ARTIFACT_KIND = "litellm-config"
MASTER_KEY_SECRET = "litellm-master-key"
REDIS_SECRET = "valkey-auth"
PROVIDER_KEYS_SECRET = "provider-keys"
"""Keys of hosted providers other than Bedrock (one JSON Secrets Manager secret, a key per credential variable)."""
REDIS_PASSWORD_KEY = "auth-token"
RUN_AS = 10001
HOOKS_SOURCE = Path(__file__).with_name(f"{HOOKS_MODULE}.py")
MASTER_KEY_AUTH_SOURCE = Path(__file__).with_name(f"{MASTER_KEY_AUTH_MODULE}.py")
ALB_IDENTITY_SOURCE = Path(__file__).with_name("alb_identity_auth.py")
"""Chained from the master-key hook (people signed in at the ALB, `gateway.sso.group_teams`)."""
MASTER_KEY_DIR = "/etc/litellm-master-key"
"""The master key Secret mounted as a directory (never subPath: the kubelet refreshes only whole-volume mounts)."""
SYSTEM_NODE_LABEL = {"blueprints.io/node-role": "system"}
POD_IDENTITY_AGENT = "169.254.170.23/32"
MONITORING_NAMESPACE = "monitoring"


def labels(component: str = COMPONENT) -> dict[str, str]:
    return {"app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": PART_OF,
            "app.kubernetes.io/component": component}


SELECTOR = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/component": COMPONENT}


def _meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": NAMESPACE, "labels": labels(), **extra}


def namespace(sync_label: dict[str, str]) -> dict[str, Any]:
    """Pod Security `restricted`; `sync_label` lets External Secrets sync credentials into it."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": {
        "app.kubernetes.io/part-of": PART_OF, "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/audit": "restricted", **sync_label}}}


def config_map(spec: PlatformSpec, region: str, endpoints: dict[str, str]) -> dict[str, Any]:
    """The generated LiteLLM config and the callback and guardrail modules it loads, as one `litellm-config`
    artifact."""
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": _meta(f"{NAME}-config", annotations={ARTIFACT_ANNOTATION: ARTIFACT_KIND}),
        "data": {CONFIG_KEY: render_config(litellm_config(spec, region, endpoints)),
                 f"{HOOKS_MODULE}.py": HOOKS_SOURCE.read_text(),
                 f"{MASTER_KEY_AUTH_MODULE}.py": MASTER_KEY_AUTH_SOURCE.read_text(),
                 ALB_IDENTITY_SOURCE.name: ALB_IDENTITY_SOURCE.read_text(),
                 **({GROUP_TEAMS_FILE: group_teams_file(spec.gateway.sso)} if spec.gateway.sso else {}),
                 **guardrail_files(spec),
                 **litellm_prompt_settings(spec).get("files", {}),
                 **litellm_ab_settings(spec).get("files", {}), **litellm_quality_settings(spec)["files"]},
    }


def service_account() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(NAME),
            "automountServiceAccountToken": False}


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def environment(spec: PlatformSpec, region: str, redis_host: Any, redis_port: Any,
                audit_bucket: Any, database_host: Any = None, load_balancer_arn: Any = None) -> list[dict[str, Any]]:
    """Container environment: plain settings, and secrets by reference to synced Kubernetes Secrets. With
    `database_host` (the gateway's Aurora), LiteLLM's DB mode through IAM database authentication. With
    `gateway.sso`, `load_balancer_arn` is the ALB whose sign-in assertions are trusted (gateway/sso.py)."""
    env = [{"name": key, "value": value} for key, value in proxy_environment(spec).items()]
    if database_host is not None:
        env += [{"name": key, "value": value}
                for key, value in database_environment(database_host).items()]
    env += [{"name": "AWS_REGION", "value": region}, {"name": "HOME", "value": "/tmp"},
            {"name": AUDIT_BUCKET_ENV, "value": audit_bucket},
            {"name": "LITELLM_LOCAL_MODEL_COST_MAP", "value": "True"},
            _secret_env(MASTER_KEY_ENV, MASTER_KEY_SECRET, MASTER_KEY_ENV),
            {"name": KEY_FILE_VARIABLE, "value": f"{MASTER_KEY_DIR}/{MASTER_KEY_ENV}"},
            *(_secret_env(env, PROVIDER_KEYS_SECRET, env) for env in provider_credentials(spec))]
    if spec.gateway.sso is not None and load_balancer_arn is not None:
        env += [{"name": key, "value": value} for key, value in identity_environment(region, load_balancer_arn).items()]
    if needs_redis(spec):
        env += [{"name": REDIS_ENV["host"], "value": redis_host}, {"name": REDIS_ENV["port"], "value": redis_port},
                _secret_env(REDIS_ENV["password"], REDIS_SECRET, REDIS_PASSWORD_KEY),
                {"name": "REDIS_SSL", "value": "True"}]
    return env


def deployment(spec: PlatformSpec, region: str, config: dict[str, Any], redis_host: Any, redis_port: Any,
               audit_bucket: Any, database_host: Any = None, load_balancer_arn: Any = None) -> dict[str, Any]:
    gateway = spec.gateway
    checksum = hashlib.sha256(json.dumps(config["data"], sort_keys=True).encode()).hexdigest()
    probe = {"httpGet": {"path": "/health/liveliness", "port": "http"}, "periodSeconds": 10, "timeoutSeconds": 5}
    resources = {"cpu": str(gateway.cpu), "memory": f"{gateway.memory_mib}Mi"}
    zone_rule = "DoNotSchedule" if spec.environment == "prod" else "ScheduleAnyway"
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(NAME),
        "spec": {
            "replicas": litellm_sizing(spec).replicas,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": SELECTOR},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": labels(), "annotations": {"blueprints.io/config-sha256": checksum}},
                "spec": {
                    "serviceAccountName": NAME,
                    "automountServiceAccountToken": False,
                    "nodeSelector": SYSTEM_NODE_LABEL,
                    "terminationGracePeriodSeconds": int(gateway.request_timeout_s) + 30,
                    "topologySpreadConstraints": [
                        {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": rule,
                         "labelSelector": {"matchLabels": SELECTOR}}
                        for key, rule in (("topology.kubernetes.io/zone", zone_rule),
                                          ("kubernetes.io/hostname", "ScheduleAnyway"))
                    ],
                    "securityContext": {"runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS,
                                        "fsGroup": RUN_AS, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": NAME,
                        "image": spec.image("litellm"),
                        "imagePullPolicy": "IfNotPresent",
                        # One worker per vCPU of the pod.
                        "args": ["--config", f"{CONFIG_DIR}/{CONFIG_KEY}", "--host", "0.0.0.0",
                                 "--port", str(PORT), "--num_workers", str(gateway.cpu)],
                        "env": environment(spec, region, redis_host, redis_port, audit_bucket, database_host,
                                           load_balancer_arn),
                        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
                        "resources": {"requests": resources, "limits": resources},
                        "startupProbe": {**probe, "failureThreshold": 30},
                        "readinessProbe": {**probe, "httpGet": {"path": "/health/readiness", "port": "http"},
                                           "failureThreshold": 3},
                        "livenessProbe": {**probe, "periodSeconds": 20, "failureThreshold": 3},
                        # Let the ALB deregister the pod before it stops taking requests.
                        "lifecycle": {"preStop": {"sleep": {"seconds": 15}}},
                        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
                        "volumeMounts": [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
                                         {"name": "master-key", "mountPath": MASTER_KEY_DIR, "readOnly": True},
                                         {"name": "tmp", "mountPath": "/tmp"}],
                    }],
                    "volumes": [{"name": "config", "configMap": {"name": config["metadata"]["name"]}},
                                # Read by master_key_auth.py on each request: a rotation synced by External
                                # Secrets reaches running pods when the kubelet refreshes the volume.
                                {"name": "master-key", "secret": {"secretName": MASTER_KEY_SECRET,
                                                                  "defaultMode": 0o440}},
                                {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
                },
            },
        },
    }


def service() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(NAME), "spec": {
        "type": "ClusterIP", "selector": SELECTOR,
        "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}]}}


def autoscaler(spec: PlatformSpec) -> dict[str, Any]:
    """CPU-based: LiteLLM is CPU-bound (request parsing, streaming relay), its workers busy in proportion. Floor and
    ceiling from the measured per-core throughput and the planned peak (gateway/capacity.py)."""
    sizing = litellm_sizing(spec)
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": _meta(NAME), "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": NAME},
        "minReplicas": sizing.replicas, "maxReplicas": sizing.max_replicas,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": HPA_CPU_UTILIZATION}}}],
        "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300,
                                   "policies": [{"type": "Pods", "value": 1, "periodSeconds": 120}]}},
    }}


def disruption_budget() -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta(NAME),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": SELECTOR}}}


def network_policy(vpc_cidr: Any, routing_namespaces: list[str], client_namespaces: list[str]) -> dict[str, Any]:
    """In: the ALB (VPC addresses), Prometheus and in-cluster clients (the batch workers). Out: DNS, the pod
    identity agent, the model servers (directly or through the inference gateway), Redis/Valkey, PostgreSQL and
    HTTPS (Bedrock, STS)."""
    def namespace_peer(name: str) -> dict[str, Any]:
        return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}

    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": _meta(NAME),
        "spec": {
            "podSelector": {"matchLabels": SELECTOR},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"ipBlock": {"cidr": vpc_cidr}}, namespace_peer(MONITORING_NAMESPACE),
                                  *map(namespace_peer, client_namespaces)],
                         "ports": [{"protocol": "TCP", "port": PORT}]}],
            "egress": [
                {"to": [namespace_peer("kube-system")], "ports": [{"protocol": "UDP", "port": 53},
                                                                  {"protocol": "TCP", "port": 53}]},
                {"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT}}], "ports": [{"protocol": "TCP", "port": 80}]},
                {"to": [namespace_peer(name) for name in [MODELS_NAMESPACE, *routing_namespaces]]},
                {"to": [namespace_peer(MONITORING_NAMESPACE)], "ports": [{"protocol": "TCP", "port": OTLP_HTTP_PORT}]},
                {"to": [{"ipBlock": {"cidr": vpc_cidr}}], "ports": [{"protocol": "TCP", "port": 6379},
                                                                   {"protocol": "TCP", "port": POSTGRES_PORT}]},
                {"ports": [{"protocol": "TCP", "port": 443}]},
            ],
        },
    }


def gateway_manifests(spec: PlatformSpec, region: str, *, endpoints: dict[str, str], redis_host: Any,
                      redis_port: Any, vpc_cidr: Any, routing_namespaces: list[str],
                      audit_bucket: Any, database_host: Any = None,
                      load_balancer_arn: Any = None) -> list[dict[str, Any]]:
    """Everything of the LiteLLM workload except the Namespace, in apply order."""
    config = config_map(spec, region, endpoints)
    objects = [config, service_account(),
               deployment(spec, region, config, redis_host, redis_port, audit_bucket, database_host,
                          load_balancer_arn),
               service(), autoscaler(spec),
               network_policy(vpc_cidr, routing_namespaces,
                              [name for name, on in ((BATCH_NAMESPACE, spec.batch.enabled),
                                                     (FEEDBACK_NAMESPACE, spec.feedback.enabled)) if on])]
    if litellm_sizing(spec).max_replicas > 1:
        objects.append(disruption_budget())
    return objects
