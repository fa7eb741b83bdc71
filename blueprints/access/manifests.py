"""The key reconciler Job (pure: spec in, manifests out): `python -m blueprints.access.reconcile` in the gateway's
own image (LiteLLM's, which carries Python, httpx and pydantic), in the gateway's namespace with the gateway's
master key, against the gateway's Service.

Its ConfigMap holds the desired teams (`teams.json`) and the reconciler's modules, mounted as a package tree on
PYTHONPATH (the way the gateway mounts its callback modules): no image of our own to build for it. ConfigMap and
Job are named after a hash of that content, so every `pulumi up` that changes the teams (or the reconciler) runs a
new Job, and one that changes neither runs none.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from blueprints.access import reconcile
from blueprints.access.workload_keys import WorkloadKey
from blueprints.conventions import CONTAINER_SECURITY, DNS_EGRESS, RESTRICTED, SYSTEM_NODE_LABEL, labels
from blueprints.gateway.litellm_config import MASTER_KEY_ENV
from blueprints.gateway.manifests import MASTER_KEY_SECRET, NAMESPACE, PORT, SELECTOR
from blueprints.gateway.manifests import NAME as GATEWAY_NAME
from blueprints.spec import PlatformSpec
from blueprints.teams import PLATFORM_TEAM, TeamSpec

NAME = "access-reconcile"
COMPONENT = "access"
MOUNT = "/opt/access"
TEAMS_FILE = "teams.json"
GATEWAY_URL = f"http://{GATEWAY_NAME}.{NAMESPACE}.svc.cluster.local:{PORT}"
RUN_AS = 10001
BACKOFF_LIMIT = 6
"""Retries (exponential back-off, 10 s doubling): the first `pulumi up` may start the Job while the gateway's pods
are still starting."""
JOB_DEADLINE_S = 900
JOB_TTL_S = 7 * 86_400
"""A finished Job (and its log: what it changed) stays a week."""
SERVICE_ACCOUNT = NAME
"""The Job's service account: its pod identity may read and write the workloads' key secrets only."""
WORKLOAD_TEAM = TeamSpec(name=PLATFORM_TEAM, models=["all-proxy-models"], max_budget_usd=1000, budget_duration="1mo")
"""The platform's own team (its workloads' keys): every model the gateway serves (LiteLLM 1.81.16 _types.py
SpecialModelNames.all_proxy_models: the eval runner calls each candidate, the batch worker what its clients ask for)
and a monthly ceiling that stops a runaway worker, not normal use (raise it with access.teams if needed)."""
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
MODULES = ("__init__.py", "errors.py", "teams.py", "access/__init__.py", "access/admin_api.py", "access/reconcile.py",
           "access/workload_keys.py")
"""The reconciler's modules under blueprints/ (tests/access checks they import nothing else of the package)."""


def _meta(name: str) -> dict[str, Any]:
    return {"name": name, "namespace": NAMESPACE, "labels": labels(NAME, COMPONENT)}


def _key(module: str) -> str:
    """ConfigMap keys may not contain `/`: blueprints/access/reconcile.py -> blueprints.access.reconcile.py."""
    return "blueprints." + module.replace("/", ".")


def desired_teams(spec: PlatformSpec, key_secrets: dict[str, str]) -> str:
    """The reconciler's input (blueprints.access.reconcile.DesiredTeams) for the spec's teams and the workloads'
    keys (`key_secrets`: key alias -> name of the Secrets Manager secret that receives it)."""
    keys = [WorkloadKey(alias=alias, secret_id=secret) for alias, secret in sorted(key_secrets.items())]
    desired = reconcile.DesiredTeams(teams=spec.access.teams, workload_team=WORKLOAD_TEAM if keys else None,
                                     workload_keys=keys)
    document = desired.model_dump(mode="json", exclude=set() if keys else {"workload_team", "workload_keys"})
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def config_map(spec: PlatformSpec, key_secrets: dict[str, str]) -> dict[str, Any]:
    data = {TEAMS_FILE: desired_teams(spec, key_secrets),
            **{_key(module): (PACKAGE_ROOT / module).read_text() for module in MODULES}}
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(f"{NAME}-{digest}"), "data": data}


def network_policy() -> dict[str, Any]:
    """Nothing reaches the Job; it reaches DNS and the gateway's pods (whose own policy admits it: pods have VPC
    addresses, and the gateway admits the VPC)."""
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": _meta(NAME),
        "spec": {"podSelector": {"matchLabels": labels(NAME, COMPONENT)}, "policyTypes": ["Ingress", "Egress"],
                 "ingress": [], "egress": [DNS_EGRESS, {"to": [{"podSelector": {"matchLabels": SELECTOR}}],
                                                        "ports": [{"protocol": "TCP", "port": PORT}]}]},
    }


def service_account() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(SERVICE_ACCOUNT),
            "automountServiceAccountToken": False}


def job(spec: PlatformSpec, config: dict[str, Any], region: str) -> dict[str, Any]:
    """`config`: `config_map(spec, ...)`; the Job carries its name (and so the hash of the desired state)."""
    name = config["metadata"]["name"]
    items = [{"key": TEAMS_FILE, "path": TEAMS_FILE},
             *({"key": _key(module), "path": f"blueprints/{module}"} for module in MODULES)]
    env = [{"name": reconcile.TEAMS_FILE_ENV, "value": f"{MOUNT}/{TEAMS_FILE}"},
           {"name": reconcile.GATEWAY_URL_ENV, "value": GATEWAY_URL},
           {"name": reconcile.MASTER_KEY_ENV,
            "valueFrom": {"secretKeyRef": {"name": MASTER_KEY_SECRET, "key": MASTER_KEY_ENV}}},
           {"name": "PYTHONPATH", "value": MOUNT}, {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
           {"name": "HOME", "value": "/tmp"}, {"name": "AWS_REGION", "value": region}]
    return {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": _meta(name),
        "spec": {
            "backoffLimit": BACKOFF_LIMIT, "activeDeadlineSeconds": JOB_DEADLINE_S,
            "ttlSecondsAfterFinished": JOB_TTL_S,
            "template": {
                "metadata": {"labels": labels(NAME, COMPONENT)},
                "spec": {
                    "serviceAccountName": SERVICE_ACCOUNT, "automountServiceAccountToken": False,
                    "restartPolicy": "Never",
                    "securityContext": {**RESTRICTED, "runAsUser": RUN_AS, "runAsGroup": RUN_AS},
                    "nodeSelector": SYSTEM_NODE_LABEL,
                    "containers": [{
                        "name": "reconcile", "image": spec.image("litellm"), "imagePullPolicy": "IfNotPresent",
                        "command": ["python", "-m", "blueprints.access.reconcile"], "env": env,
                        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                                      "limits": {"cpu": "500m", "memory": "512Mi"}},
                        "securityContext": CONTAINER_SECURITY,
                        "volumeMounts": [{"name": "reconciler", "mountPath": MOUNT, "readOnly": True},
                                         {"name": "tmp", "mountPath": "/tmp"}],
                    }],
                    "volumes": [{"name": "reconciler", "configMap": {"name": name, "items": items}},
                                {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
        },
    }


def access_manifests(spec: PlatformSpec, region: str,
                     key_secrets: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """ConfigMap, NetworkPolicy, ServiceAccount and Job, in apply order; `key_secrets`: see `desired_teams`."""
    config = config_map(spec, key_secrets or {})
    return [config, network_policy(), service_account(), job(spec, config, region)]
