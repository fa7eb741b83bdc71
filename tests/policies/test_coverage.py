"""Fail closed (issue 18 section 1): the resource types each pack reads, shown in docs/policy-coverage.md; every type
a policy reads is a real token of the pinned SDKs; and the regulated pack judges every type of every preset."""

import importlib
import inspect

import pytest
from blueprints_policies import coverage
from blueprints_policies.checks.unreviewed_resource_type import EXEMPT_PREFIXES, REVIEWED
from blueprints_policies.packs import PACKS

from tests.conftest import PRESETS

CRD_GROUPS = ("karpenter.", "keda.sh", "elbv2.k8s.aws", "external-secrets.io", "gateway.", "monitoring.coreos.com",
              "helm.sh")
"""Custom resources and the Helm Release: typed by their CRDs or the provider, not by an SDK class token."""


def _sdk_class(token: str) -> type | None:
    """The pulumi-aws 7.51.1 / pulumi-kubernetes 4.34.2 class a token names (its `pulumi_type`), if any."""
    package, module, name = token.split(":")
    if package == "aws":
        path = f"pulumi_aws.{module.split('/')[0]}".replace(".lambda", ".lambda_")
    else:
        group, version = module.split("/")
        path = f"pulumi_kubernetes.{group.split('.')[0]}.{version}"
    try:
        found = getattr(importlib.import_module(path), name, None)
    except ImportError:
        return None
    return found if getattr(found, "pulumi_type", None) == token else None


def test_the_coverage_page_is_current() -> None:
    assert coverage.COVERAGE_PATH.read_text() == coverage.page(), (
        "docs/policy-coverage.md is stale: run `PYTHONPATH=policies/lib python -m blueprints_policies.coverage`")


def test_types_each_pack_reads() -> None:
    read = {name: set(coverage.checked_types(pack)) for name, pack in PACKS.items()}
    assert {"aws:budgets/budget:Budget", "kubernetes:karpenter.sh/v1:NodePool", "pulumi:providers:aws",
            "kubernetes:core/v1:ConfigMap"} <= read["cost-guardrails"]
    assert {"kubernetes:apps/v1:ReplicaSet", "kubernetes:core/v1:PodTemplate", "kubernetes:apps/v1:DeploymentPatch",
            "kubernetes:batch/v1:CronJob", "kubernetes:core/v1:Service",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"} <= read["kubernetes-workloads"]
    assert {"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:ec2/securityGroupRule:SecurityGroupRule",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:s3/bucketAcl:BucketAcl",
            "aws:lambda/functionUrl:FunctionUrl", "aws:rds/globalCluster:GlobalCluster",
            "aws:elasticache/cluster:Cluster"} <= read["baseline"] & read["regulated"]
    for name, pack in PACKS.items():
        assert pack.level(coverage.UNREVIEWED) == ("mandatory" if name == "regulated" else "advisory"), name


def _sdk_alias(token: str) -> bool:
    """A former token the SDK still declares as an alias of a class (e.g. `aws:elasticloadbalancingv2/...`)."""
    classes = [_sdk_class(f"aws:{module}/{resource}") for module in ("lb", "alb")
               for resource in ("listener:Listener", "loadBalancer:LoadBalancer", "listenerRule:ListenerRule")]
    return any(f'Alias(type_="{token}")' in inspect.getsource(c) for c in classes if c is not None)


def test_every_token_a_policy_reads_is_a_real_sdk_token() -> None:
    tokens = {t for pack in PACKS.values() for t in coverage.checked_types(pack)} | set(REVIEWED)
    sdk = [t for t in tokens if not t.startswith("pulumi:") and not any(g in t for g in CRD_GROUPS)]
    assert [t for t in sorted(sdk) if _sdk_class(t) is None and not _sdk_alias(t)] == []


@pytest.mark.parametrize("preset", PRESETS)
def test_the_regulated_pack_judges_every_type_of_every_preset(graph_of, preset: str) -> None:
    """What startup-mvp or saas would need before the regulated pack accepts them is never an unjudged type."""
    read = set(coverage.checked_types(PACKS["regulated"])) | set(REVIEWED)
    types = {r.type for r in graph_of(preset, "prod").resources if not r.type.startswith(EXEMPT_PREFIXES)}
    assert sorted(types - read) == []
