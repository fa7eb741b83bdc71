"""Karpenter's nodes get their IAM identity from an instance profile that Pulumi creates for the node role, named in
the EC2NodeClass's `spec.instanceProfile`. With `spec.role` the controller creates and manages the profile through
the IAM API, which has no VPC endpoint, so nodes never launch in a VPC without internet route
(aws/karpenter-provider-aws v1.14.1, website/content/en/docs/concepts/nodeclasses.md, `spec.instanceProfile`: "For
private clusters without access to their AWS region's IAM API endpoint, using `spec.instanceProfile` is required")."""

from __future__ import annotations

import pytest

from blueprints.contracts.egress import EgressReport, egress_reports
from blueprints.presets import ENVIRONMENTS, load_spec
from tests.conftest import PRESETS
from tests.support.schemas import validate_manifest

NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
PROFILE = "aws:iam/instanceProfile:InstanceProfile"
PRIVATE_ENVS = [(preset, env) for preset in PRESETS if load_spec(preset, "dev").is_private for env in ENVIRONMENTS]


KARPENTER_PROD = [(preset, "prod") for preset in PRESETS if load_spec(preset, "prod").cluster.gpu_pools]
"""Every preset that runs GPU nodes uses the pre-created profile too: one code path, and a controller that never
creates profiles (tests/identity/test_karpenter_policy.py DEVIATIONS)."""


@pytest.mark.parametrize(("preset", "env"), sorted({*PRIVATE_ENVS, *KARPENTER_PROD}))
def test_node_class_names_an_instance_profile_of_the_node_role(graph_of, preset: str, env: str) -> None:
    graph = graph_of(preset, env)
    node_classes = graph.of_type(NODE_CLASS)
    assert node_classes
    for node_class in node_classes:
        region = [r for r in graph.resources if r.region == node_class.region]
        [node_role] = [r for r in region if r.type == "aws:iam/role:Role" and r.name.endswith("-karpenter-node")]
        profiles = {r.outputs["name"]: r for r in region if r.type == PROFILE}
        spec = node_class.inputs["spec"]
        assert "role" not in spec, node_class.name
        assert profiles[spec["instanceProfile"]].inputs["role"] == node_role.outputs["name"]
        # exactly one of role/instanceProfile, with the CRD's own CEL rules (.vendor/crds, karpenter v1.14.1)
        assert validate_manifest(node_class.inputs) == []


def test_egress_contract_flags_a_node_class_with_role_in_an_isolated_vpc(graph_of) -> None:
    graph = graph_of("internal-ai", "prod")
    [node_class] = graph.of_type(NODE_CLASS)
    spec = {key: value for key, value in node_class.inputs["spec"].items() if key != "instanceProfile"}
    with_role = node_class.model_copy(update={"inputs": {**node_class.inputs, "spec": {
        **spec, "role": "corp-prod-use1-karpenter-node"}}})
    changed = graph.model_copy(update={"resources": [with_role if r is node_class else r for r in graph.resources]})
    [report] = egress_reports(changed, private=True)
    [problem] = report.problems()
    assert node_class.name in problem and "spec.role" in problem and "spec.instanceProfile" in problem
    [as_planned] = egress_reports(graph, private=True)
    assert as_planned.problems() == []
    [public] = egress_reports(changed, private=False)
    assert public.problems() == []


def test_a_firewall_that_admits_iam_lets_the_controller_manage_profiles() -> None:
    """With an egress allowlist naming IAM's endpoint, `spec.role` works through AWS Network Firewall."""
    report = EgressReport(region="us-east-1", private=True, role_node_classes=["gpu"])
    assert len(report.problems()) == 1
    for domain in ("iam.amazonaws.com", ".amazonaws.com"):
        report.firewall_domains = {"allowlist": [domain]}
        assert report.problems() == []
    report.firewall_domains = {"allowlist": ["huggingface.co", "amazonaws.com"]}
    assert len(report.problems()) == 1
