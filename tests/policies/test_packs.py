"""Each pack's exact policies, enforcement levels and severities are pinned here: a change to a pack is a
reviewed change to this file."""

import ast
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from blueprints_policies.packs import PACKS

ROOT = Path(__file__).resolve().parents[2]

PINNED = {
    "baseline": {
        # issue 18: judge meaning, fail closed on unreviewed types
        "iam-no-inverted-grants": ("mandatory", "critical"),
        "iam-no-broad-managed-policies": ("mandatory", "critical"),
        "resource-not-public": ("mandatory", "critical"),
        "k8s-rbac-least-privilege": ("mandatory", "critical"),
        "unreviewed-resource-type": ("advisory", "high"),
        "iam-no-static-credentials": ("advisory", "high"),
        "k8s-service-not-public": ("advisory", "high"),
        "ecs-tasks-hardened": ("advisory", "high"),
        "stack-context-valid": ("mandatory", "high"),
        "s3-bucket-encrypted": ("mandatory", "high"),
        "s3-bucket-public-access-blocked": ("mandatory", "critical"),
        "s3-bucket-versioned": ("mandatory", "high"),
        "eks-secrets-encryption": ("mandatory", "high"),
        "imdsv2-required": ("mandatory", "high"),
        "ebs-encrypted": ("mandatory", "high"),
        "rds-encrypted": ("mandatory", "high"),
        "rds-not-public": ("mandatory", "critical"),
        "elasticache-encryption": ("mandatory", "high"),
        "opensearch-encryption": ("mandatory", "high"),
        "alb-https-listener": ("mandatory", "high"),
        "alb-tls-policy": ("mandatory", "high"),
        "iam-no-wildcard-action": ("mandatory", "critical"),
        "security-group-no-open-ingress": ("mandatory", "high"),
        "residency-allowlist": ("mandatory", "critical"),
        "aws-provider-default-tags": ("mandatory", "low"),
        "helm-release-pinned": ("mandatory", "medium"),
        "gateway-auth": ("mandatory", "critical"),
        "k8s-no-privileged": ("mandatory", "critical"),
        "k8s-image-pinned": ("mandatory", "high"),
        "cloudtrail-log-file-validation": ("mandatory", "high"),
        "eks-standard-support-prod": ("mandatory", "high"),
        "eks-standard-support": ("advisory", "medium"),
        "k8s-image-digest-prod": ("advisory", "medium"),
        "kms-key-rotation": ("remediate", "medium"),
        "cloudtrail-present": ("advisory", "critical"),
        "cloudtrail-kms": ("advisory", "high"),
        "eks-control-plane-logging": ("advisory", "high"),
        "eks-public-endpoint-restricted": ("advisory", "medium"),
        "secretsmanager-cmk": ("advisory", "medium"),
        "rds-backup-retention": ("advisory", "medium"),
        "log-group-retention": ("advisory", "low"),
        "vpc-flow-logs": ("advisory", "medium"),
        "iam-no-wildcard-resource": ("advisory", "medium"),
        "budget-exists": ("advisory", "medium"),
    },
    "cost-guardrails": {
        # issue 18: judge meaning, fail closed on unreviewed types
        "unreviewed-resource-type": ("advisory", "high"),
        "stack-context-valid": ("mandatory", "high"),
        "budget-exists": ("mandatory", "medium"),
        "gpu-nodepool-limits": ("mandatory", "high"),
        "aws-provider-default-tags": ("mandatory", "low"),
        "log-group-retention": ("advisory", "low"),
        "k8s-resources-set": ("advisory", "medium"),
        "gateway-rate-limits": ("advisory", "high"),
        "gateway-max-tokens": ("advisory", "medium"),
    },
    "kubernetes-workloads": {
        # issue 18: judge meaning, fail closed on unreviewed types
        "k8s-service-not-public": ("mandatory", "high"),
        "k8s-rbac-least-privilege": ("mandatory", "critical"),
        "unreviewed-resource-type": ("advisory", "high"),
        "stack-context-valid": ("mandatory", "high"),
        "k8s-run-as-non-root": ("mandatory", "high"),
        "k8s-no-privileged": ("mandatory", "critical"),
        "k8s-capabilities-restricted": ("mandatory", "high"),
        "k8s-no-host-path": ("mandatory", "high"),
        "k8s-no-host-namespaces": ("mandatory", "high"),
        "k8s-resources-set": ("mandatory", "medium"),
        "k8s-probes": ("mandatory", "medium"),
        "k8s-image-pinned": ("mandatory", "high"),
        "k8s-pdb-for-replicated": ("mandatory", "medium"),
        "k8s-model-server-ha-prod": ("mandatory", "high"),
        "k8s-networkpolicy-per-namespace": ("mandatory", "medium"),
        "gateway-auth": ("mandatory", "critical"),
        "gateway-rate-limits": ("mandatory", "high"),
        "gateway-max-tokens": ("mandatory", "medium"),
        "helm-release-pinned": ("mandatory", "medium"),
        "gpu-nodepool-limits": ("mandatory", "high"),
        "k8s-seccomp-runtime-default": ("advisory", "medium"),
        "k8s-no-default-namespace": ("advisory", "low"),
        "k8s-namespace-pod-security": ("advisory", "medium"),
    },
    "regulated": {
        # issue 18: judge meaning, fail closed on unreviewed types
        "unreviewed-resource-type": ("mandatory", "high"),
        "iam-no-inverted-grants": ("mandatory", "critical"),
        "iam-no-broad-managed-policies": ("mandatory", "critical"),
        "iam-no-static-credentials": ("mandatory", "high"),
        "resource-not-public": ("mandatory", "critical"),
        "k8s-service-not-public": ("mandatory", "high"),
        "k8s-rbac-least-privilege": ("mandatory", "critical"),
        "k8s-resources-set": ("mandatory", "medium"),
        "ecs-tasks-hardened": ("mandatory", "high"),
        "budget-exists": ("mandatory", "medium"),
        "gpu-nodepool-limits": ("mandatory", "high"),
        "stack-context-valid": ("mandatory", "high"),
        "s3-bucket-versioned": ("mandatory", "high"),
        "s3-bucket-encrypted": ("mandatory", "high"),
        "s3-bucket-kms-cmk": ("mandatory", "high"),
        "s3-bucket-public-access-blocked": ("mandatory", "critical"),
        "s3-bucket-access-logged": ("mandatory", "medium"),
        "s3-bucket-tls-only": ("mandatory", "medium"),
        "audit-bucket-object-lock": ("mandatory", "high"),
        "cloudtrail-present": ("mandatory", "critical"),
        "cloudtrail-log-file-validation": ("mandatory", "high"),
        "cloudtrail-kms": ("mandatory", "high"),
        "eks-secrets-encryption": ("mandatory", "high"),
        "eks-private-endpoint": ("mandatory", "high"),
        "eks-control-plane-logging": ("mandatory", "high"),
        "imdsv2-required": ("mandatory", "high"),
        "ebs-encrypted": ("mandatory", "high"),
        "security-group-no-open-ingress": ("mandatory", "high"),
        "secretsmanager-cmk": ("mandatory", "medium"),
        "rds-encrypted": ("mandatory", "high"),
        "rds-not-public": ("mandatory", "critical"),
        "rds-backup-retention": ("mandatory", "medium"),
        "rds-deletion-protection-prod": ("mandatory", "medium"),
        "elasticache-encryption": ("mandatory", "high"),
        "opensearch-encryption": ("mandatory", "high"),
        "alb-https-listener": ("mandatory", "high"),
        "alb-tls-policy": ("mandatory", "high"),
        "alb-waf-associated": ("mandatory", "high"),
        "alb-access-logs": ("mandatory", "medium"),
        "vpc-flow-logs": ("mandatory", "medium"),
        "log-group-retention": ("mandatory", "low"),
        "log-group-retention-min": ("mandatory", "medium"),
        "log-group-kms": ("mandatory", "medium"),
        "iam-no-wildcard-action": ("mandatory", "critical"),
        "ecr-repository-hardened": ("mandatory", "medium"),
        "residency-declared": ("mandatory", "high"),
        "kms-customer-managed-keys": ("mandatory", "high"),
        "residency-allowlist": ("mandatory", "critical"),
        "gateway-provider-residency": ("mandatory", "critical"),
        "gateway-ui-sso": ("mandatory", "high"),
        "k8s-run-as-non-root": ("mandatory", "high"),
        "k8s-no-privileged": ("mandatory", "critical"),
        "k8s-capabilities-restricted": ("mandatory", "high"),
        "k8s-no-host-path": ("mandatory", "high"),
        "k8s-no-host-namespaces": ("mandatory", "high"),
        "k8s-image-pinned": ("mandatory", "high"),
        "k8s-seccomp-runtime-default": ("mandatory", "medium"),
        "k8s-namespace-pod-security": ("mandatory", "medium"),
        "k8s-networkpolicy-per-namespace": ("mandatory", "medium"),
        "k8s-pdb-for-replicated": ("mandatory", "medium"),
        "k8s-model-server-ha-prod": ("mandatory", "high"),
        "gateway-auth": ("mandatory", "critical"),
        "gateway-rate-limits": ("mandatory", "high"),
        "gateway-request-logging": ("mandatory", "medium"),
        "gateway-pii-masking": ("mandatory", "high"),
        "helm-release-pinned": ("mandatory", "medium"),
        "kms-key-rotation": ("remediate", "medium"),
        "iam-no-wildcard-resource": ("advisory", "medium"),
        "k8s-no-default-namespace": ("advisory", "low"),
    },
}


def test_pack_contents_are_pinned() -> None:
    actual = {
        name: {e.policy: (e.enforcement, policy.meta.severity) for e, (policy, _) in zip(pack.entries,
                                                                                          pack.policies(),
                                                                                          strict=True)}
        for name, pack in PACKS.items()
    }
    assert actual == PINNED


@pytest.mark.parametrize("name", list(PACKS))
def test_pack_folder_is_a_python_policy_pack(name: str) -> None:
    folder = ROOT / "policies" / name
    manifest = yaml.safe_load((folder / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"] == "python"
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    main = (folder / "__main__.py").read_text()
    assert main == (ROOT / "policies" / "baseline" / "__main__.py").read_text()
    ast.parse(main)


def test_pack_requirements_match_pyproject_pins() -> None:
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for name in PACKS:
        lines = (ROOT / "policies" / name / "requirements.txt").read_text().splitlines()
        requirements = [line for line in lines if line and not line.startswith("#")]
        assert requirements and all(r in pins for r in requirements), (name, requirements)


def test_policy_pack_is_constructed_only_in_the_entry_module_every_pack_runs() -> None:
    constructing = sorted(
        str(path.relative_to(ROOT)) for folder in ("policies", "blueprints") for path in (ROOT / folder).rglob("*.py")
        if "PolicyPack(" in path.read_text()
    )
    assert constructing == ["policies/lib/blueprints_policies/entry.py"]
    for name in PACKS:
        assert "serve(HERE, BUILT)" in (ROOT / "policies" / name / "__main__.py").read_text()
