"""Credential-placement contract over the planned graph: administrative credentials stay out of workload pods.

- No ExternalSecret references an RDS-managed master user secret (`masterUserSecrets[].secretArn` of a cluster or
  instance): the admin password would then sit in a Kubernetes Secret that anyone allowed to read Secrets in that
  namespace can read (Amazon RDS User Guide, "Password management with Amazon RDS and AWS Secrets Manager",
  rds-secrets-manager.html; Kubernetes documentation, "Good practices for Kubernetes Secrets": least-privilege
  access to Secrets). The one-time schema work reads it at run time with its own identity instead.
- The gateway's master (admin) key reaches only the gateway and the key reconciler Jobs (`access-reconcile-<hash>`
  in the gateway's namespace), which manage teams and keys with it (issue 22: "the master key is used only by the
  reconcile Job and operators"). The platform's own callers (batch worker, eval runner, feedback quality worker)
  hold virtual keys the reconciler issued them (blueprints/access/workload_keys.py). Any other pod that reads a
  Secret synced from the master key holds admin rights over every virtual key, team and budget (LiteLLM
  documentation, "Virtual Keys": the master key is the proxy's admin key).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from blueprints.access.manifests import NAME as RECONCILER
from blueprints.engine.graph import ResourceGraph, ResourceRecord
from blueprints.gateway.manifests import MASTER_KEY_SECRET
from blueprints.gateway.manifests import NAME as GATEWAY
from blueprints.gateway.manifests import NAMESPACE as GATEWAY_NAMESPACE

EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
MASTER_KEY_TARGETS = {(GATEWAY_NAMESPACE, MASTER_KEY_SECRET)}
"""The one Kubernetes Secret the gateway master key may be synced into."""


def _may_read_master_key(workload: tuple[str, str]) -> bool:
    namespace, name = workload
    return namespace == GATEWAY_NAMESPACE and (name == GATEWAY or name.startswith(f"{RECONCILER}-"))


def _remote_keys(spec: dict[str, Any]) -> set[str]:
    keys = {item["remoteRef"]["key"] for item in spec.get("data", [])}
    return keys | {item["extract"]["key"] for item in spec.get("dataFrom", []) if "extract" in item}


def secret_names(value: Any) -> Iterator[str]:
    """Kubernetes Secrets a pod template reads: env `secretKeyRef`, `envFrom.secretRef`, `secret` volumes."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("secretKeyRef", "secretRef") and isinstance(item, dict) and "name" in item:
                yield item["name"]
            elif key == "secret" and isinstance(item, dict) and "secretName" in item:
                yield item["secretName"]
            else:
                yield from secret_names(item)
    elif isinstance(value, list):
        for item in value:
            yield from secret_names(item)


def _namespace(record: ResourceRecord) -> str:
    return record.inputs.get("metadata", {}).get("namespace", "")


def credential_problems(graph: ResourceGraph) -> list[str]:
    """One line per ExternalSecret that syncs an RDS master secret, per sync of the gateway master key into another
    Secret than the gateway's, and per other workload that reads such a Secret."""
    masters = {secret["secretArn"] for record in graph.of_type("aws:rds/cluster:Cluster", "aws:rds/instance:Instance")
                for secret in record.outputs.get("masterUserSecrets") or []}
    gateway_keys = {record.outputs["arn"] for record in graph.of_type("aws:secretsmanager/secret:Secret")
                    if str(record.inputs.get("name", "")).endswith(f"/{MASTER_KEY_SECRET}")}
    problems, holders = [], set()
    for record in graph.of_type(EXTERNAL_SECRET):
        spec, where = record.inputs["spec"], f"{record.name} ({EXTERNAL_SECRET})"
        target = (_namespace(record), spec.get("target", {}).get("name") or record.inputs["metadata"]["name"])
        keys = _remote_keys(spec)
        if keys & masters:
            problems.append(f"{where}: syncs the RDS-managed master secret into namespace {target[0]!r}; fix: read "
                            "it at run time with a dedicated identity (GetSecretValue on that secret only) and give "
                            "applications IAM database authentication")
        if keys & gateway_keys:
            holders.add(target)
            if target not in MASTER_KEY_TARGETS:
                problems.append(f"{where}: syncs the gateway master key into Secret {target[1]!r} of namespace "
                                f"{target[0]!r}; fix: give that consumer its own generated key")
    for record in graph.resources:
        template = record.inputs.get("spec", {}).get("template") if record.type.startswith("kubernetes:") else None
        if not isinstance(template, dict):
            continue
        workload = (_namespace(record), record.inputs.get("metadata", {}).get("name", ""))
        read = {(workload[0], name) for name in secret_names(template)} & holders
        if read and not _may_read_master_key(workload):
            problems.append(f"{record.name} ({record.type}): reads the gateway master key (Secret "
                            f"{sorted(read)[0][1]!r}); fix: give it its own generated key")
    return problems
