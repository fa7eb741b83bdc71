"""The in-cluster evaluation gate (pure: spec in, manifests out): while a self-hosted model has a candidate, one
Job runs `eval gate` on the model's golden set through the gateway and writes baseline, candidate and verdict to
`s3://<artifacts>/evals/<model>/<candidate>/`, where `rollout step --eval` reads them. The golden set reaches the
Job as a ConfigMap (the same bytes the artifacts bucket keeps under `golden/`)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blueprints.conventions import (
    CONTAINER_SECURITY,
    DNS_EGRESS,
    HTTPS_EGRESS,
    POD_IDENTITY_EGRESS,
    RESTRICTED,
    SYSTEM_NODE_LABEL,
    labels,
)
from blueprints.errors import BlueprintError
from blueprints.evaluation import golden
from blueprints.rollout import versions_of
from blueprints.spec import PlatformSpec

NAMESPACE = "evaluation"
SERVICE_ACCOUNT = "eval-runner"
KEY_SECRET = "eval-gateway-key"
KEY_ENV = "GATEWAY_API_KEY"
GOLDEN_MOUNT = "/golden"
DEFAULT_SET = "assistant"
EVALS_PREFIX = "evals"
GOLDEN_PREFIX = "golden"
JOB_DEADLINE_S = 3600
JOB_TTL_S = 7 * 86_400
"""A finished Job (and its log, the gate's audit line) stays a week; the verdict stays in S3."""
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class GoldenFile:
    """One golden set as deployed: its name, bytes and content-addressed key in the artifacts bucket."""

    name: str
    content: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content.encode()).hexdigest()

    @property
    def key(self) -> str:
        return f"{GOLDEN_PREFIX}/{self.name}/{self.digest[:16]}.jsonl"

    @property
    def config_map(self) -> str:
        return f"golden-{self.name}-{self.digest[:10]}"


@dataclass(frozen=True)
class Gate:
    model: str
    stable: str
    candidate: str
    golden: GoldenFile


def _dns(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")


def gates(spec: PlatformSpec) -> list[Gate]:
    """One gate per self-hosted model that has a candidate (none when evaluation is off)."""
    if not spec.evaluation.enabled:
        return []
    found = []
    for model in spec.self_hosted_models:
        versions = versions_of(model)
        if versions.candidate is None:
            continue
        reference = spec.evaluation.golden.get(model.name, DEFAULT_SET)
        path = PROJECT_ROOT / reference if reference.endswith(".jsonl") else Path(reference)
        try:
            loaded = golden.load(path)
        except BlueprintError as error:
            raise BlueprintError(f"evaluation.golden.{model.name}: {error}") from None
        found.append(Gate(model.name, versions.stable, versions.candidate,
                          GoldenFile(_dns(loaded.name), golden.resolve(str(path)).read_text(encoding="utf-8"))))
    return found


def _meta(name: str) -> dict[str, Any]:
    return {"name": name, "namespace": NAMESPACE, "labels": labels(SERVICE_ACCOUNT, "evaluation")}


def service_account() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": False,
            "metadata": _meta(SERVICE_ACCOUNT)}


def network_policy(gateway_namespace: str) -> dict[str, Any]:
    """Nothing reaches the Job; it reaches DNS, the gateway, the pod identity agent and HTTPS (S3)."""
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": _meta(SERVICE_ACCOUNT),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": [
            DNS_EGRESS,
            {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": gateway_namespace}}}]},
            POD_IDENTITY_EGRESS,
            HTTPS_EGRESS,
        ]},
    }


def golden_config_map(file: GoldenFile) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(file.config_map),
            "data": {f"{file.name}.jsonl": file.content}}


def job_name(gate: Gate) -> str:
    """`eval-<model>-<candidate>`: a new candidate is a new Job; the same one is never re-run by an update."""
    return f"eval-{_dns(gate.model)}-{_dns(gate.candidate)}"[:63].rstrip("-")


def verdict_prefix(gate: Gate) -> str:
    """Where the gate's three files go in the artifacts bucket (`rollout step --eval s3://<bucket>/<this>`)."""
    return f"{EVALS_PREFIX}/{gate.model}/{gate.candidate}"


def gate_job(spec: PlatformSpec, gate: Gate, *, image: Any, gateway_url: str, location: Any,
             region: str) -> dict[str, Any]:
    """`location`: `s3://<artifacts bucket>/<verdict_prefix>`."""
    settings = spec.evaluation
    args = ["gate", "--endpoint", gateway_url, "--golden", f"{GOLDEN_MOUNT}/{gate.golden.name}.jsonl",
            "--model", gate.model, "--stable", gate.stable, "--candidate", gate.candidate, "--api-key-env", KEY_ENV,
            "--margin", str(settings.margin), "--repeats", str(settings.repeats),
            "--concurrency", str(settings.concurrency), "--out", location]
    return {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": _meta(job_name(gate)),
        "spec": {
            "backoffLimit": 1, "activeDeadlineSeconds": JOB_DEADLINE_S, "ttlSecondsAfterFinished": JOB_TTL_S,
            "template": {
                "metadata": {"labels": labels(SERVICE_ACCOUNT, "evaluation")},
                "spec": {
                    "serviceAccountName": SERVICE_ACCOUNT, "automountServiceAccountToken": False,
                    "restartPolicy": "Never", "securityContext": {**RESTRICTED, "runAsUser": 10001,
                                                                  "runAsGroup": 10001},
                    "nodeSelector": SYSTEM_NODE_LABEL,
                    "containers": [{
                        "name": "eval", "image": image, "imagePullPolicy": "IfNotPresent",
                        "command": ["python", "-m", "blueprints.evaluation"], "args": args,
                        "env": [{"name": KEY_ENV, "valueFrom": {"secretKeyRef": {"name": KEY_SECRET,
                                                                                 "key": "api-key"}}},
                                {"name": "AWS_REGION", "value": region}],
                        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"},
                                      "limits": {"cpu": "2", "memory": "2Gi"}},
                        "securityContext": CONTAINER_SECURITY,
                        "volumeMounts": [{"name": "golden", "mountPath": GOLDEN_MOUNT, "readOnly": True},
                                         {"name": "tmp", "mountPath": "/tmp"}],
                    }],
                    "volumes": [{"name": "golden", "configMap": {"name": gate.golden.config_map}},
                                {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
                },
            },
        },
    }
