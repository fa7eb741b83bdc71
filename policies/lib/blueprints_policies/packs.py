"""Packs are selections over the registry: which policies, at which enforcement level.

Each pack folder (policies/<name>/__main__.py) serves exactly `PACKS[name]`; `python -m blueprints check`
evaluates the same selection offline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from .context import parse_stack_config
from .controls import SPEC_FRAMEWORKS
from .model import Enforcement, environment_problem
from .registry import RegisteredPolicy, registry


class PackEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: str
    enforcement: Enforcement


class Pack(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    entries: tuple[PackEntry, ...]

    def policies(self) -> list[tuple[RegisteredPolicy, str]]:
        known = registry()
        return [(known[e.policy], e.enforcement) for e in self.entries]

    def level(self, policy_id: str) -> str | None:
        return next((e.enforcement for e in self.entries if e.policy == policy_id), None)

    def frameworks(self) -> list[str]:
        """Every framework (controls.FRAMEWORKS) one of the pack's policies provides evidence for."""
        return sorted({f for policy, _ in self.policies() for f in policy.meta.controls})

    def tags(self, claimed: Sequence[str] = ()) -> list[str]:
        """The PolicyPack's tags (GetAnalyzerInfo): `framework:<name>` for each framework the pack evidences and
        `stack-claims:<name>` for each one the stack's preset claims in compliance.frameworks, all of them."""
        return [f"framework:{name}" for name in self.frameworks()] + [f"stack-claims:{name}" for name in claimed]


def claimed_frameworks(stack_config: Mapping[str, Any]) -> list[str]:
    """The framework names (controls.FRAMEWORKS) of every entry of the stack preset's compliance.frameworks, from
    the stack config the CLI hands the pack; none when the preset cannot be resolved (stack-context-valid reports
    a missing or unknown environment as a mandatory violation)."""
    stack = parse_stack_config(stack_config)
    if "preset" not in stack or environment_problem(stack.get("environment")):
        return []
    try:
        from blueprints.presets import load_spec

        spec = load_spec(preset=stack["preset"], environment=stack["environment"],
                         overrides=stack.get("overrides"), regions=stack.get("regions"))
    except Exception:  # an unloadable preset is stack-context-valid's to report, not the metadata's
        return []
    return [SPEC_FRAMEWORKS[framework] for framework in spec.compliance.frameworks]


def _pack(name: str, description: str, mandatory: str = "", remediate: str = "", advisory: str = "") -> Pack:
    entries = [PackEntry(policy=p, enforcement="mandatory") for p in mandatory.split()]
    entries += [PackEntry(policy=p, enforcement="remediate") for p in remediate.split()]
    entries += [PackEntry(policy=p, enforcement="advisory") for p in advisory.split()]
    return Pack(name=name, description=description, entries=tuple(entries))


BASELINE = _pack(
    "baseline",
    "Security floor for every preset: encryption, no public exposure, least privilege, residency, pinning.",
    mandatory="""stack-context-valid
        s3-bucket-encrypted s3-bucket-public-access-blocked s3-bucket-versioned eks-secrets-encryption
        imdsv2-required ebs-encrypted rds-encrypted rds-not-public elasticache-encryption opensearch-encryption
        alb-https-listener alb-tls-policy iam-no-wildcard-action security-group-no-open-ingress
        residency-allowlist aws-provider-default-tags helm-release-pinned gateway-auth k8s-no-privileged
        k8s-image-pinned cloudtrail-log-file-validation eks-standard-support-prod iam-no-inverted-grants
        iam-no-broad-managed-policies resource-not-public k8s-rbac-least-privilege""",
    remediate="kms-key-rotation",
    advisory="""unreviewed-resource-type iam-no-static-credentials k8s-service-not-public ecs-tasks-hardened
        cloudtrail-present cloudtrail-kms eks-control-plane-logging eks-public-endpoint-restricted
        secretsmanager-cmk rds-backup-retention log-group-retention vpc-flow-logs iam-no-wildcard-resource
        budget-exists eks-standard-support k8s-image-digest-prod""",
)

COST_GUARDRAILS = _pack(
    "cost-guardrails",
    "Spend limits: budgets with alerts, capped GPU pools, cost tags, rate and token limits at the gateway.",
    mandatory="stack-context-valid budget-exists gpu-nodepool-limits aws-provider-default-tags",
    advisory="unreviewed-resource-type log-group-retention k8s-resources-set gateway-rate-limits gateway-max-tokens",
)

KUBERNETES_WORKLOADS = _pack(
    "kubernetes-workloads",
    "Pod security, probes, limits, PDBs, network policies, image pinning and gateway limits "
    "(GPU exceptions stated per policy).",
    mandatory="""stack-context-valid
        k8s-run-as-non-root k8s-no-privileged k8s-capabilities-restricted k8s-no-host-path
        k8s-no-host-namespaces k8s-resources-set k8s-probes k8s-image-pinned k8s-pdb-for-replicated
        k8s-model-server-ha-prod k8s-networkpolicy-per-namespace gateway-auth gateway-rate-limits
        gateway-max-tokens helm-release-pinned gpu-nodepool-limits k8s-service-not-public k8s-rbac-least-privilege""",
    advisory="unreviewed-resource-type k8s-seccomp-runtime-default k8s-no-default-namespace k8s-namespace-pod-security",
)

REGULATED = _pack(
    "regulated",
    "HIPAA / GDPR / SOC 2 / PCI DSS / ISO 27001 / EU AI Act technical controls for regulated deployments.",
    mandatory="""stack-context-valid
        s3-bucket-versioned s3-bucket-encrypted s3-bucket-kms-cmk s3-bucket-public-access-blocked
        s3-bucket-access-logged s3-bucket-tls-only audit-bucket-object-lock cloudtrail-present
        cloudtrail-log-file-validation cloudtrail-kms eks-secrets-encryption eks-private-endpoint
        eks-control-plane-logging imdsv2-required ebs-encrypted security-group-no-open-ingress
        secretsmanager-cmk kms-customer-managed-keys rds-encrypted rds-not-public rds-backup-retention
        rds-deletion-protection-prod
        elasticache-encryption opensearch-encryption alb-https-listener alb-tls-policy alb-waf-associated
        alb-access-logs vpc-flow-logs log-group-retention log-group-retention-min log-group-kms
        iam-no-wildcard-action ecr-repository-hardened residency-declared residency-allowlist gateway-provider-residency
        gateway-ui-sso
        k8s-run-as-non-root k8s-no-privileged k8s-capabilities-restricted k8s-no-host-path
        k8s-no-host-namespaces k8s-image-pinned k8s-seccomp-runtime-default k8s-namespace-pod-security
        k8s-networkpolicy-per-namespace k8s-pdb-for-replicated k8s-model-server-ha-prod gateway-auth
        gateway-rate-limits gateway-request-logging gateway-pii-masking helm-release-pinned unreviewed-resource-type
        iam-no-inverted-grants iam-no-broad-managed-policies iam-no-static-credentials resource-not-public
        k8s-service-not-public k8s-rbac-least-privilege k8s-resources-set ecs-tasks-hardened budget-exists
        gpu-nodepool-limits""",
    remediate="kms-key-rotation",
    advisory="iam-no-wildcard-resource k8s-no-default-namespace",
)

PACKS: dict[str, Pack] = {p.name: p for p in (BASELINE, COST_GUARDRAILS, KUBERNETES_WORKLOADS, REGULATED)}
