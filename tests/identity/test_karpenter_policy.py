"""The Karpenter controller's identity policy is Karpenter's own reference controller policy at the pinned chart
version: statement for statement the same Sid, actions and condition keys, with this cluster's values.

Reference: aws/karpenter-provider-aws tag v1.14.1 (the chart in blueprints/versions.py),
website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml: NodeLifecyclePolicy,
IAMIntegrationPolicy, EKSIntegrationPolicy, InterruptionPolicy, ZonalShiftPolicy, ResourceDiscoveryPolicy.
`{cluster}` stands for the template's ${ClusterName}.

Documented deviations (DEVIATIONS below): the EC2NodeClass names an instance profile Pulumi pre-creates
(`spec.instanceProfile`, required in a VPC without IAM endpoint: website/content/en/docs/concepts/nodeclasses.md at
v1.14.1), so the controller never creates, tags or fills a profile (pkg/controllers/nodeclass/instanceprofile.go
calls Create only for `spec.role`). The creation and tagging statements and iam:AddRoleToInstanceProfile are left
out; removing and deleting profiles an earlier `spec.role` node class made stays, tag-scoped as in the reference.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from blueprints.contracts.iam import PolicyDocument, as_list, policy_documents
from blueprints.engine.graph import ResourceGraph
from tests.conftest import PRESETS

OWNED = "kubernetes.io/cluster/{cluster}"
REFERENCE: dict[str, tuple[set[str], set[str]]] = {
    "AllowScopedEC2InstanceAccessActions": ({"ec2:RunInstances", "ec2:CreateFleet"}, set()),
    "AllowScopedEC2LaunchTemplateAccessActions": (
        {"ec2:RunInstances", "ec2:CreateFleet"},
        {f"aws:ResourceTag/{OWNED}", "aws:ResourceTag/karpenter.sh/nodepool"}),
    "AllowScopedEC2InstanceActionsWithTags": (
        {"ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"},
        {f"aws:RequestTag/{OWNED}", "aws:RequestTag/eks:eks-cluster-name", "aws:RequestTag/karpenter.sh/nodepool"}),
    "AllowScopedResourceCreationTagging": (
        {"ec2:CreateTags"},
        {f"aws:RequestTag/{OWNED}", "aws:RequestTag/eks:eks-cluster-name", "ec2:CreateAction",
         "aws:RequestTag/karpenter.sh/nodepool"}),
    "AllowScopedResourceTagging": (
        {"ec2:CreateTags"},
        {f"aws:ResourceTag/{OWNED}", "aws:ResourceTag/karpenter.sh/nodepool", "aws:RequestTag/eks:eks-cluster-name",
         "aws:TagKeys"}),
    "AllowScopedDeletion": (
        {"ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"},
        {f"aws:ResourceTag/{OWNED}", "aws:ResourceTag/karpenter.sh/nodepool"}),
    "AllowPassingInstanceRole": ({"iam:PassRole"}, {"iam:PassedToService"}),
    "AllowScopedInstanceProfileCreationActions": (
        {"iam:CreateInstanceProfile"},
        {f"aws:RequestTag/{OWNED}", "aws:RequestTag/eks:eks-cluster-name",
         "aws:RequestTag/topology.kubernetes.io/region", "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass"}),
    "AllowScopedInstanceProfileTagActions": (
        {"iam:TagInstanceProfile"},
        {f"aws:ResourceTag/{OWNED}", "aws:ResourceTag/topology.kubernetes.io/region", f"aws:RequestTag/{OWNED}",
         "aws:RequestTag/eks:eks-cluster-name", "aws:RequestTag/topology.kubernetes.io/region",
         "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass", "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass"}),
    "AllowScopedInstanceProfileActions": (
        {"iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"},
        {f"aws:ResourceTag/{OWNED}", "aws:ResourceTag/topology.kubernetes.io/region",
         "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass"}),
    "AllowAPIServerEndpointDiscovery": ({"eks:DescribeCluster"}, set()),
    "AllowInterruptionQueueActions": ({"sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"}, set()),
    "AllowZonalShiftStatusReadOnly": ({"arc-zonal-shift:GetManagedResource"}, {"arc-zonal-shift:ResourceIdentifier"}),
    "AllowRegionalReadActions": (
        {"ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances",
         "ec2:DescribeInstanceStatus", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes",
         "ec2:DescribeLaunchTemplates", "ec2:DescribePlacementGroups", "ec2:DescribeSecurityGroups",
         "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets"},
        {"aws:RequestedRegion"}),
    "AllowSSMReadActions": ({"ssm:GetParameter"}, set()),
    "AllowPricingReadActions": ({"pricing:GetProducts"}, set()),
    "AllowUnscopedInstanceProfileListAction": ({"iam:ListInstanceProfiles"}, set()),
    "AllowInstanceProfileReadActions": ({"iam:GetInstanceProfile"}, set()),
}
DEVIATIONS: dict[str, tuple[set[str], set[str]] | None] = {
    # Sid -> what this project keeps of it (None: the statement is left out); see the module docstring.
    "AllowScopedInstanceProfileCreationActions": None,
    "AllowScopedInstanceProfileTagActions": None,
    "AllowScopedInstanceProfileActions": (
        {"iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"},
        REFERENCE["AllowScopedInstanceProfileActions"][1]),
}


def _controllers(graph: ResourceGraph) -> list[tuple[str, str, PolicyDocument]]:
    """(cluster name, node role ARN, controller policy) for each region of a graph that runs Karpenter."""
    found = []
    for document in policy_documents(graph):
        if document.type == "aws:iam/rolePolicy:RolePolicy" and document.resource.endswith("-karpenter"):
            prefix = document.resource.removesuffix("-karpenter")
            cluster = next(r.inputs["name"] for r in graph.of_type("aws:eks/cluster:Cluster")
                           if r.name == f"{prefix}-eks")
            node_role = next(r.outputs["arn"] for r in graph.of_type("aws:iam/role:Role")
                             if r.name == f"{prefix}-karpenter-node")
            found.append((cluster, node_role, document))
    return found


@pytest.fixture(scope="module")
def controllers(graph_of: Callable[[str, str], ResourceGraph]) -> list[tuple[str, str, PolicyDocument]]:
    found = [controller for preset in PRESETS for controller in _controllers(graph_of(preset, "prod"))]
    assert found, "no preset runs Karpenter"
    return found


def test_statements_are_the_reference_statements(controllers: list) -> None:
    for cluster, _, document in controllers:
        shape = {statement["Sid"]: ({str(a) for a in as_list(statement["Action"])},
                                    {key for block in statement.get("Condition", {}).values() for key in block})
                 for statement in document.statements()}
        kept = {sid: DEVIATIONS.get(sid, shape) for sid, shape in REFERENCE.items()}
        expected = {sid: (shape[0], {key.format(cluster=cluster) for key in shape[1]})
                    for sid, shape in kept.items() if shape is not None}
        assert shape == expected, document.where


def test_nodes_are_owned_by_this_cluster_and_pass_only_the_node_role(controllers: list) -> None:
    for cluster, node_role, document in controllers:
        by_sid = {statement["Sid"]: statement for statement in document.statements()}
        tagged = by_sid["AllowScopedEC2InstanceActionsWithTags"]["Condition"]["StringEquals"]
        assert tagged == {f"aws:RequestTag/kubernetes.io/cluster/{cluster}": "owned",
                          "aws:RequestTag/eks:eks-cluster-name": cluster}
        deletion = by_sid["AllowScopedDeletion"]["Condition"]["StringEquals"]
        assert deletion == {f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned"}
        passing = by_sid["AllowPassingInstanceRole"]
        assert (passing["Resource"], passing["Condition"]) == (
            [node_role], {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})
