"""Kubernetes objects of the retrieval namespace, as plain manifests (pure: validated by kubernetes-validate in
tests and applied by the components through pulumi_kubernetes)."""

from __future__ import annotations

import hashlib
from typing import Any

from blueprints.catalog.embeddings import EmbeddingModel
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
from blueprints.versions import IMAGES, PYTHON_IMAGE

ARTIFACT_ANNOTATION = "blueprints.io/artifact-kind"
EMBEDDINGS_PORT = 8080
UNPRIVILEGED_UID = 10001
"""Above the range of host users (checkov CKV_K8S_40): neither image needs its build-time user."""


def content_hash(text: str) -> str:
    """Short digest used in names of immutable objects (a schema change creates a new ConfigMap and Job)."""
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def namespace(name: str, extra_labels: dict[str, str]) -> dict[str, Any]:
    """A namespace held to the `restricted` Pod Security Standard."""
    return {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "labels": {
            **labels(name, "namespace"), **extra_labels,
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
        }},
    }


def network_policies(ns: str, open_ports: dict[str, list[int]]) -> list[dict[str, Any]]:
    """Deny all ingress except from pods of the same namespace, then open `open_ports` (app name -> ports) to
    every namespace of the cluster (the gateway and applications)."""
    policies = [{
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "same-namespace-only", "namespace": ns, "labels": labels("retrieval", "network")},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]},
    }]
    for app, ports in open_ports.items():
        policies.append({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"{app}-from-cluster", "namespace": ns, "labels": labels(app, "network")},
            "spec": {
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": app}},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"namespaceSelector": {}}],
                             "ports": [{"protocol": "TCP", "port": port} for port in ports]}],
            },
        })
    return policies


def bootstrap_network_policy(ns: str, vpc_cidr: Any, postgres_port: int) -> dict[str, Any]:
    """The bootstrap namespace: no ingress at all; egress to DNS, the EKS Pod Identity agent, HTTPS (Secrets
    Manager, through its endpoint or NAT) and PostgreSQL inside the VPC."""
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "bootstrap", "namespace": ns, "labels": labels("bootstrap", "network")},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [],
            "egress": [
                DNS_EGRESS,
                POD_IDENTITY_EGRESS,
                HTTPS_EGRESS,
                postgres_egress(vpc_cidr, postgres_port),
            ],
        },
    }


def artifact_config_map(name: str, ns: str, kind: str, data: dict[str, str]) -> dict[str, Any]:
    """A generated config as a ConfigMap that `render` writes out as files of `kind`."""
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "labels": labels(name, "config"),
                     "annotations": {ARTIFACT_ANNOTATION: kind}},
        "data": data,
    }


def embeddings_objects(model: EmbeddingModel, ns: str, replicas: int) -> list[dict[str, Any]]:
    """Deployment + Service (+ PDB when replicated) of text-embeddings-inference serving `model` on CPU."""
    name = "embeddings"
    selector = pod_selector(name)
    http = {"httpGet": {"path": "/health", "port": "http"}}
    container = {
        "name": "tei",
        "image": IMAGES["text-embeddings-inference"].ref,
        "args": ["--model-id", model.hf_repo, "--revision", model.hf_revision, "--port", str(EMBEDDINGS_PORT),
                 "--max-client-batch-size", "64", "--auto-truncate"],
        "env": [{"name": "HUGGINGFACE_HUB_CACHE", "value": "/data"}, {"name": "HOME", "value": "/tmp"}],
        "ports": [{"name": "http", "containerPort": EMBEDDINGS_PORT}],
        # Weights are downloaded at start: allow up to 10 minutes before liveness applies.
        "startupProbe": {**http, "periodSeconds": 10, "failureThreshold": 60},
        "readinessProbe": {**http, "periodSeconds": 10},
        "livenessProbe": {**http, "periodSeconds": 20, "failureThreshold": 3},
        "resources": {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "4", "memory": "4Gi"}},
        "securityContext": CONTAINER_SECURITY,
        "volumeMounts": [{"name": "data", "mountPath": "/data"}, {"name": "tmp", "mountPath": "/tmp"}],
    }
    objects: list[dict[str, Any]] = [
        deployment(name, ns, "embeddings", replicas, {
            "automountServiceAccountToken": False,
            "securityContext": {**RESTRICTED, "runAsUser": UNPRIVILEGED_UID, "runAsGroup": UNPRIVILEGED_UID,
                                "fsGroup": UNPRIVILEGED_UID},
            "nodeSelector": SYSTEM_NODE_LABEL,
            "containers": [container],
            "volumes": [{"name": "data", "emptyDir": {"sizeLimit": "10Gi"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
        }),
        {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns, "labels": labels(name, "embeddings")},
            "spec": {"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        },
    ]
    if replicas > 1:
        objects.append({
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "namespace": ns, "labels": labels(name, "embeddings")},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector}},
        })
    return objects


BOOTSTRAP_NAMESPACE = "retrieval-bootstrap"
"""Where the schema Job runs with the database's admin rights: no workload runs there, and no External Secrets
sync is allowed there (the admin password is fetched by the Job itself and lives only in its pod's memory)."""
BOOTSTRAP_SERVICE_ACCOUNT = "vector-schema"
CREDENTIALS_DIR = "/run/credentials"
SECRET_FILE = f"{CREDENTIALS_DIR}/master.json"
PGPASS_FILE = f"{CREDENTIALS_DIR}/pgpass"
PGPASS_SCRIPT = f"""import json, os
with open({SECRET_FILE!r}) as source:
    secret = json.load(source)
os.remove({SECRET_FILE!r})
def field(value):
    return value.replace("\\\\", "\\\\\\\\").replace(":", "\\\\:")
descriptor = os.open({PGPASS_FILE!r}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(descriptor, "w") as target:
    target.write(f"*:*:*:{{field(secret['username'])}}:{{field(secret['password'])}}\\n")
"""
"""Turns the RDS-managed secret's JSON (`username`, `password`) into a libpq password file (fields escaped as
libpq-pgpass.html says: backslash and colon each behind a backslash), owner-readable only, and deletes the JSON."""


def schema_job(name: str, ns: str, config_map: str, *, master_secret_arn: Any, region: str, host: Any,
               database: str, user: str, service_account: str = BOOTSTRAP_SERVICE_ACCOUNT) -> dict[str, Any]:
    """A Job that applies the generated SQL schema with psql as the RDS-managed master user (TLS required).

    The master password never becomes a Kubernetes Secret: the `credentials` init container reads it with the
    Job's own pod identity (GetSecretValue on this one secret) into a memory-backed volume, `pgpass` writes the
    password file psql reads, and the volume disappears with the pod."""
    memory = {"name": "credentials", "mountPath": CREDENTIALS_DIR}
    tmp = {"name": "tmp", "mountPath": "/tmp"}
    small = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}
    fetch = {
        "name": "credentials",
        "image": IMAGES["aws-cli"].ref,
        "command": ["/bin/sh", "-c", "aws secretsmanager get-secret-value --secret-id \"$SECRET_ARN\" "
                    f"--query SecretString --output text > {SECRET_FILE}"],
        "env": [{"name": "SECRET_ARN", "value": master_secret_arn}, {"name": "AWS_REGION", "value": region},
                {"name": "HOME", "value": "/tmp"}],
        "resources": small, "securityContext": CONTAINER_SECURITY, "volumeMounts": [memory, tmp],
    }
    pgpass = {
        "name": "pgpass", "image": PYTHON_IMAGE.ref, "command": ["python", "-c", PGPASS_SCRIPT],
        "env": [{"name": "PYTHONDONTWRITEBYTECODE", "value": "1"}],
        "resources": small, "securityContext": CONTAINER_SECURITY, "volumeMounts": [memory],
    }
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": ns, "labels": labels(service_account, "schema")},
        "spec": {
            "backoffLimit": 10,
            "activeDeadlineSeconds": 1800,
            "template": {
                "metadata": {"labels": labels(service_account, "schema")},
                "spec": {
                    "restartPolicy": "OnFailure",
                    "serviceAccountName": service_account,
                    # AWS credentials come from EKS Pod Identity's own projected token, not the API token.
                    "automountServiceAccountToken": False,
                    "securityContext": {**RESTRICTED, "runAsUser": UNPRIVILEGED_UID, "runAsGroup": UNPRIVILEGED_UID},
                    "nodeSelector": SYSTEM_NODE_LABEL,
                    "initContainers": [fetch, pgpass],
                    "containers": [{
                        "name": "psql",
                        "image": IMAGES["postgres-client"].ref,
                        "command": ["psql", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                                    "-f", "/schema/schema.sql"],
                        "env": [{"name": "PGHOST", "value": host}, {"name": "PGPORT", "value": "5432"},
                                {"name": "PGDATABASE", "value": database}, {"name": "PGUSER", "value": user},
                                {"name": "PGPASSFILE", "value": PGPASS_FILE},
                                {"name": "PGSSLMODE", "value": "require"}],
                        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                      "limits": {"cpu": "500m", "memory": "128Mi"}},
                        "securityContext": CONTAINER_SECURITY,
                        "volumeMounts": [{"name": "schema", "mountPath": "/schema", "readOnly": True},
                                         {**memory, "readOnly": True}],
                    }],
                    "volumes": [{"name": "schema", "configMap": {"name": config_map}},
                                {"name": "credentials", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                                {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
        },
    }


SERVICE = "retrieval-service"
SERVICE_PORT = 8080


def secret_value(secret: str, key: str) -> dict[str, Any]:
    """An environment value taken from a key of a Kubernetes Secret (env_entries)."""
    return {"secretKeyRef": {"name": secret, "key": key}}


def env_entries(env: dict[str, Any]) -> list[dict[str, Any]]:
    """Container environment, sorted: plain values, or secret_value(...) references."""
    return [{"name": key, **({"valueFrom": value} if isinstance(value, dict) else {"value": value})}
            for key, value in sorted(env.items())]


def retrieval_service_objects(ns: str, image: Any, env: dict[str, Any], *, replicas: int,
                              max_replicas: int) -> list[dict[str, Any]]:
    """ServiceAccount (its pod identity may connect as the reader role), Deployment, Service, CPU-based
    HorizontalPodAutoscaler and, when replicated, a PodDisruptionBudget of the retrieval service."""
    selector = pod_selector(SERVICE)
    meta = {"name": SERVICE, "namespace": ns, "labels": labels(SERVICE, "retrieval")}
    http = {"httpGet": {"path": "/healthz", "port": "http"}}
    container = {
        "name": "api",
        "image": image,
        "env": env_entries(env),
        "ports": [{"name": "http", "containerPort": SERVICE_PORT}],
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 10},
        "livenessProbe": {**http, "periodSeconds": 20, "failureThreshold": 3},
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
        "securityContext": CONTAINER_SECURITY,
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": False, "metadata": meta},
        deployment(SERVICE, ns, "retrieval", replicas, {
            "serviceAccountName": SERVICE,
            # AWS credentials come from EKS Pod Identity's own projected token, not the API token.
            "automountServiceAccountToken": False,
            "securityContext": {**RESTRICTED, "runAsUser": UNPRIVILEGED_UID, "runAsGroup": UNPRIVILEGED_UID},
            "nodeSelector": SYSTEM_NODE_LABEL,
            "containers": [container],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
        }),
        {"apiVersion": "v1", "kind": "Service", "metadata": meta,
         "spec": {"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}},
        {
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta,
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": SERVICE},
                "minReplicas": replicas, "maxReplicas": max_replicas,
                "metrics": [{"type": "Resource", "resource": {
                    "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
            },
        },
    ]
    if replicas > 1:
        objects.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta,
                        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector}}})
    return objects


INGESTION = "rag-ingestion"
INGESTION_SCHEDULE = "*/15 * * * *"
"""Every 15 minutes: a run with nothing new lists the bucket and stops, so the freshness alert (1 hour) has margin."""


def ingestion_cronjob(ns: str, image: Any, env: dict[str, Any], service_account: str) -> dict[str, Any]:
    """The ingestion worker as a CronJob (one run at a time) under the `ingestion` service account's identity."""
    return {
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": INGESTION, "namespace": ns, "labels": labels(INGESTION, "ingestion")},
        "spec": {
            "schedule": INGESTION_SCHEDULE,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {"spec": {
                "backoffLimit": 2,
                "activeDeadlineSeconds": 3600,
                "template": {
                    "metadata": {"labels": labels(INGESTION, "ingestion")},
                    "spec": {
                        "restartPolicy": "Never",
                        "serviceAccountName": service_account,
                        "automountServiceAccountToken": False,
                        "securityContext": {**RESTRICTED, "runAsUser": UNPRIVILEGED_UID,
                                            "runAsGroup": UNPRIVILEGED_UID},
                        "nodeSelector": SYSTEM_NODE_LABEL,
                        "containers": [{
                            "name": "ingest",
                            "image": image,
                            "command": ["python", "-m", "blueprints.retrieval.worker"],
                            "env": env_entries(env),
                            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"},
                                          "limits": {"cpu": "2", "memory": "2Gi"}},
                            "securityContext": CONTAINER_SECURITY,
                            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                        }],
                        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
                    },
                },
            }},
        },
    }


def postgres_egress(vpc_cidr: Any, port: int) -> dict[str, Any]:
    """To PostgreSQL (Aurora) inside the VPC."""
    return {"to": [{"ipBlock": {"cidr": vpc_cidr}}], "ports": [{"protocol": "TCP", "port": port}]}


def pod_egress(app: str, port: int) -> dict[str, Any]:
    """To the pods of `app` in the same namespace (e.g. the in-cluster Qdrant)."""
    return {"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": app}}}],
            "ports": [{"protocol": "TCP", "port": port}]}


def egress_policy(ns: str, app: str, store: dict[str, Any] | None) -> dict[str, Any]:
    """Egress of a retrieval workload: DNS, the pod identity agent, HTTPS (Bedrock, S3, STS), the embedding
    server in its namespace and its vector store (`store`: postgres_egress or pod_egress)."""
    egress = [DNS_EGRESS, POD_IDENTITY_EGRESS, HTTPS_EGRESS, pod_egress("embeddings", EMBEDDINGS_PORT),
              *([store] if store else [])]
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": f"{app}-egress", "namespace": ns, "labels": labels(app, "network")},
        "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": app}}, "policyTypes": ["Egress"],
                 "egress": egress},
    }
