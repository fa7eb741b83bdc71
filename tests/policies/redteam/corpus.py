"""The red-team corpus (issue 18): evasions a hurried or determined engineer would write, and benign look-alikes,
each a small stack sent to every pack exactly as the Pulumi CLI sends it (Remediate, then Analyze with the
remediated properties, per resource; then AnalyzeStack with every resource) over the Analyzer gRPC protocol.

Cases are data (cases.yaml, on top of the compliant floor.yaml). Three shorthands keep them short:
- `{bucket: NAME}` expands into a bucket with every companion a regulated bucket needs (versioning, SSE-KMS with
  the floor key, public-access block, access logging, a TLS-only policy); `without:` drops companions, `sse:`
  picks the algorithm, `extra:` adds bucket inputs;
- `{workload: KIND, name: N}` builds a compliant Kubernetes object of that kind (Pod, Deployment, ..., CronJob,
  PodTemplate, ReplicationController, or `patch: true` for the `*Patch` resource) with its pod spec at the kind's
  real nesting; `pod:` and `container:` deep-merge into the pod spec and its first container;
- `drop:` on a case removes floor resources by name (to replace, e.g., the floor's trail).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.policies.analyzer import Analyzer, Diagnostic, running_pack

HERE = Path(__file__).resolve().parent
PACKS = ("baseline", "cost-guardrails", "kubernetes-workloads", "regulated")
STACK_CONFIG = {"llm-platform:preset": "regulated-industry", "llm-platform:environment": "prod"}
"""What `pulumi config` holds for a regulated prod stack (Pulumi.<stack>.yaml of the regulated-industry preset)."""
KEY = "arn:aws:kms:eu-central-1:111122223333:key/floor"
IMAGE = "registry.example.com/app:1.4.2@sha256:" + "0" * 64
Resource = tuple[str, str, dict[str, Any]]


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    why: str
    resources: tuple[Resource, ...]
    expect: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()


@dataclass
class Verdict:
    case: Case
    mandatory: list[Diagnostic] = field(default_factory=list)

    @property
    def flagged_by(self) -> set[str]:
        return {d.policy for d in self.mandatory}

    @property
    def correct(self) -> bool:
        if self.case.kind == "benign":
            return not self.mandatory
        return bool(self.flagged_by & set(self.case.expect))


def deep_merge(base: Any, extra: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(extra, Mapping):
        merged = dict(base)
        for key, value in extra.items():
            merged[key] = deep_merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(extra)


def _tls_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyPlaintext", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def _bucket(spec: Mapping[str, Any]) -> list[Resource]:
    name = spec["bucket"]
    without = set(spec.get("without", ()))
    sse = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY} if spec.get("sse", "aws:kms") == "aws:kms" else {
        "sseAlgorithm": spec["sse"]}
    companions = {
        "versioning": ("aws:s3/bucketVersioning:BucketVersioning", {"versioningConfiguration": {"status": "Enabled"}}),
        "sse": ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                {"rules": [{"applyServerSideEncryptionByDefault": sse}]}),
        "pab": ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                {k: True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                   "restrictPublicBuckets")}),
        "logging": ("aws:s3/bucketLogging:BucketLogging", {"targetBucket": "floor-logs", "targetPrefix": f"{name}/"}),
        "policy": ("aws:s3/bucketPolicy:BucketPolicy", {"policy": _tls_policy(name)}),
    }
    found: list[Resource] = [("aws:s3/bucket:Bucket", name, {"bucket": name, **spec.get("extra", {})})]
    found += [(t, f"{name}-{part}", {"bucket": name, **props}) for part, (t, props) in companions.items()
              if part not in without]
    return found


CONTAINER = {
    "name": "app", "image": IMAGE, "ports": [{"containerPort": 8080}],
    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "allowPrivilegeEscalation": False,
                        "privileged": False, "capabilities": {"drop": ["ALL"]},
                        "seccompProfile": {"type": "RuntimeDefault"}},
    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}},
    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
    "livenessProbe": {"httpGet": {"path": "/live", "port": 8080}},
}
GROUPS = {"Pod": "core", "PodTemplate": "core", "ReplicationController": "core", "Job": "batch", "CronJob": "batch"}


def _workload(spec: Mapping[str, Any]) -> Resource:
    kind, name = spec["workload"], spec["name"]
    container = deep_merge(CONTAINER, spec.get("container", {}))
    pod = deep_merge({"containers": [container], "securityContext": {
        "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}}, spec.get("pod", {}))
    labels = {"app": name}
    template = {"metadata": {"labels": labels}, "spec": pod}
    metadata = {"name": name, "namespace": "apps", "labels": labels}
    if kind == "Pod":
        props: dict[str, Any] = {"metadata": metadata, "spec": pod}
    elif kind == "PodTemplate":
        props = {"metadata": metadata, "template": template}
    elif kind == "CronJob":
        props = {"metadata": metadata, "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {
            "template": deep_merge(template, {"spec": {"restartPolicy": "OnFailure"}})}}}}
    elif kind == "Job":
        props = {"metadata": metadata, "spec": {"template": deep_merge(template, {"spec": {"restartPolicy": "Never"}})}}
    else:
        props = {"metadata": metadata, "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                                                "template": template}}
        if kind == "DaemonSet":
            del props["spec"]["replicas"]
    group = GROUPS.get(kind, "apps")
    suffix = "Patch" if spec.get("patch") else ""
    if spec.get("patch"):
        props = deep_merge({"metadata": metadata}, spec.get("patch_props", props))
    return f"kubernetes:{group}/v1:{kind}{suffix}", name, props


def expand(entry: Mapping[str, Any]) -> list[Resource]:
    if "bucket" in entry:
        return _bucket(entry)
    if "workload" in entry:
        return [_workload(entry)]
    return [(entry["type"], entry["name"], dict(entry.get("props") or {}))]


def _resources(entries: list[Mapping[str, Any]]) -> tuple[Resource, ...]:
    return tuple(r for entry in entries for r in expand(entry))


def floor() -> tuple[Resource, ...]:
    return _resources(yaml.safe_load((HERE / "floor.yaml").read_text()))


def cases() -> list[Case]:
    return [Case(id=c["id"], kind=c["kind"], why=c["why"], resources=_resources(c["resources"]),
                 expect=tuple(c.get("expect", ())), drop=tuple(c.get("drop", ())))
            for c in yaml.safe_load((HERE / "cases.yaml").read_text())]


@contextmanager
def packs() -> Iterator[dict[str, Analyzer]]:
    """Every pack's own __main__.py serving over gRPC with the regulated prod stack config."""
    with ExitStack() as stack:
        yield {pack: stack.enter_context(running_pack(pack, STACK_CONFIG)) for pack in PACKS}


def send(analyzer: Analyzer, resources: tuple[Resource, ...], context: tuple[Resource, ...]) -> list[Diagnostic]:
    """What the CLI does for a preview: Remediate then Analyze per new resource, then AnalyzeStack over the whole
    stack (`context` resources are analyzed once elsewhere and only join the stack call)."""
    diagnostics: list[Diagnostic] = []
    remediated = []
    for type_, name, props in resources:
        fixed = analyzer.remediate(type_, name, props)
        diagnostics += analyzer.analyze(type_, name, fixed)
        remediated.append((type_, name, fixed))
    return diagnostics + analyzer.analyze_stack([*context, *remediated])


def judge(analyzers: Mapping[str, Analyzer], case: Case, base: tuple[Resource, ...]) -> Verdict:
    context = tuple(r for r in base if r[1] not in case.drop)
    verdict = Verdict(case)
    for analyzer in analyzers.values():
        verdict.mandatory += [d for d in send(analyzer, case.resources, context) if d.level == "mandatory"]
    return verdict


def run_all() -> list[Verdict]:
    with packs() as analyzers:
        base = floor()
        return [judge(analyzers, case, base) for case in cases()]


def summary(verdicts: list[Verdict]) -> str:
    evasions = [v for v in verdicts if v.case.kind == "evasion"]
    benign = [v for v in verdicts if v.case.kind == "benign"]
    caught = sum(v.correct for v in evasions)
    flagged = [v for v in benign if not v.correct]
    lines = [f"red team: {caught}/{len(evasions)} evasions caught (MANDATORY), "
             f"{len(flagged)}/{len(benign)} benign look-alikes flagged (false positives), via the Analyzer gRPC "
             f"protocol of packs {', '.join(PACKS)}"]
    lines += [f"  missed {v.case.id}: {v.case.why}" for v in evasions if not v.correct]
    lines += [f"  false positive {v.case.id}: {sorted(v.flagged_by)}" for v in flagged]
    return "\n".join(lines)
