"""EKS control plane, core add-ons, the system node group, access entries and the cluster's Kubernetes provider."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from blueprints.components.iam import pod_identity_trust, service_trust
from blueprints.conventions import SYSTEM_NODE_LABEL
from blueprints.naming import Namer
from blueprints.spec import ClusterSpec
from blueprints.versions import EKS_ADDONS

MANAGED_POLICY = "arn:aws:iam::aws:policy/"
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore")
# Add-ons whose controllers call AWS get their own pod identity instead of borrowing the node role.
ADDON_IDENTITIES = {
    "vpc-cni": ("aws-node", "AmazonEKS_CNI_Policy"),
    "aws-ebs-csi-driver": ("ebs-csi-controller-sa", "service-role/AmazonEBSCSIDriverPolicy"),
}
VOLUME_DRIVER = "aws-ebs-csi-driver"


def volume_driver_role_name(namer: Namer) -> str:
    """The EBS CSI driver's IAM role name, fixed: a KMS key policy names it before it exists (encrypted volumes)."""
    return namer("addon", VOLUME_DRIVER)


def node_launch_template_args(namer: Namer, kms_key_arn: pulumi.Input[str] | None, volume_gib: int) -> dict:
    """IMDSv2 only with a hop limit of 1 (pods can't reach node credentials) and an encrypted gp3 root volume."""
    return {
        "metadata_options": {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1},
        "block_device_mappings": [{
            "device_name": "/dev/xvda",
            "ebs": {"volume_size": volume_gib, "volume_type": "gp3", "encrypted": "true", "kms_key_id": kms_key_arn,
                    "delete_on_termination": "true"},
        }],
        "tag_specifications": [{"resource_type": "instance", "tags": {"Name": namer("system-node")}}],
    }


class Cluster(pulumi.ComponentResource):
    name: str
    cluster_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    provider: k8s.Provider

    def __init__(
        self,
        name: str,
        spec: ClusterSpec,
        namer: Namer,
        *,
        subnet_ids: list[pulumi.Output[str]],
        account_id: pulumi.Input[str],
        cluster_key_arn: pulumi.Input[str] | None,
        logs_key_arn: pulumi.Input[str] | None,
        deletion_protection: bool,
        opts: pulumi.ResourceOptions,
    ):
        super().__init__("blueprints:cluster:Cluster", name, None, opts)
        self._namer = namer
        child = pulumi.ResourceOptions(parent=self)
        self.name = namer("eks")

        # Only this cluster may use its role (Amazon EKS User Guide, cross-service-confused-deputy-prevention.html).
        trust = service_trust("eks.amazonaws.com", account_id=account_id, source_arn=pulumi.Output.concat(
            "arn:aws:eks:", namer.region, ":", account_id, ":cluster/", self.name))
        role = aws.iam.Role(namer("eks-role"), assume_role_policy=trust, opts=child)
        attachment = aws.iam.RolePolicyAttachment(
            namer("eks-role"), role=role.name, policy_arn=MANAGED_POLICY + "AmazonEKSClusterPolicy", opts=child
        )
        # The log group exists before the cluster so retention and encryption apply from the first line.
        log_group = aws.cloudwatch.LogGroup(
            namer("eks-logs"), name=f"/aws/eks/{self.name}/cluster", retention_in_days=spec.log_retention_days,
            kms_key_id=logs_key_arn, opts=child,
        )
        cluster = aws.eks.Cluster(
            self.name,
            name=self.name,
            version=spec.kubernetes_version,
            role_arn=role.arn,
            vpc_config={
                "subnet_ids": subnet_ids,
                "endpoint_private_access": True,
                "endpoint_public_access": spec.endpoint_public_access,
                **({"public_access_cidrs": spec.public_access_cidrs} if spec.endpoint_public_access else {}),
            },
            # Without a customer-managed key EKS keeps its default envelope encryption (an AWS-owned key).
            encryption_config=({"provider": {"key_arn": cluster_key_arn}, "resources": ["secrets"]}
                               if cluster_key_arn is not None else None),
            enabled_cluster_log_types=spec.control_plane_logs,
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False},
            bootstrap_self_managed_addons=False,
            deletion_protection=deletion_protection,
            upgrade_policy={"support_type": "STANDARD"},
            tags={"karpenter.sh/discovery": self.name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment, log_group]),
        )
        self.cluster_arn = cluster.arn
        self.cluster_name = cluster.name
        self.security_group_id = cluster.vpc_config.cluster_security_group_id

        for index, admin in enumerate(spec.admin_role_arns):
            self.grant_admin(f"admin-{index}", admin)
        nodes = self._system_nodes(cluster, spec, subnet_ids, cluster_key_arn)
        self._addons(cluster, nodes)
        self.provider = k8s.Provider(
            namer("k8s"), kubeconfig=_kubeconfig(cluster, namer.region), enable_server_side_apply=True, opts=child,
        )
        self.register_outputs({"cluster_name": cluster.name, "cluster_arn": cluster.arn,
                               "endpoint": cluster.endpoint})

    def grant_admin(self, name: str, principal_arn: pulumi.Input[str]) -> None:
        """Cluster-admin for an IAM principal through an EKS access entry."""
        child = pulumi.ResourceOptions(parent=self)
        entry = aws.eks.AccessEntry(self._namer(name), cluster_name=self.cluster_name, principal_arn=principal_arn,
                                    opts=child)
        aws.eks.AccessPolicyAssociation(
            self._namer(name), cluster_name=self.cluster_name, principal_arn=entry.principal_arn,
            policy_arn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            access_scope={"type": "cluster"}, opts=child,
        )

    def allow_nodes(self, name: str, node_role_arn: pulumi.Input[str]) -> aws.eks.AccessEntry:
        """Let instances with this role join the cluster (Karpenter's nodes)."""
        return aws.eks.AccessEntry(self._namer(name), cluster_name=self.cluster_name, principal_arn=node_role_arn,
                                   type="EC2_LINUX", opts=pulumi.ResourceOptions(parent=self))

    def _system_nodes(self, cluster: aws.eks.Cluster, spec: ClusterSpec, subnet_ids: list[pulumi.Output[str]],
                      kms_key_arn: pulumi.Input[str] | None) -> aws.eks.NodeGroup:
        namer, child = self._namer, pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(namer("system-node"), assume_role_policy=service_trust("ec2.amazonaws.com"), opts=child)
        attachments = [
            aws.iam.RolePolicyAttachment(namer("system-node", policy), role=role.name,
                                         policy_arn=MANAGED_POLICY + policy, opts=child)
            for policy in NODE_POLICIES
        ]
        template = aws.ec2.LaunchTemplate(
            namer("system-node"), update_default_version=True,
            **node_launch_template_args(namer, kms_key_arn, volume_gib=100), opts=child,
        )
        return aws.eks.NodeGroup(
            namer("system"),
            cluster_name=cluster.name,
            node_role_arn=role.arn,
            subnet_ids=subnet_ids,
            instance_types=[spec.system_nodes.instance_type],
            capacity_type="ON_DEMAND",
            ami_type="AL2023_x86_64_STANDARD",
            scaling_config={"min_size": spec.system_nodes.min_size, "max_size": spec.system_nodes.max_size,
                            "desired_size": spec.system_nodes.min_size},
            update_config={"max_unavailable": 1},
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            labels=SYSTEM_NODE_LABEL,
            # Desired size belongs to the cluster autoscaling, not to the next `pulumi up`.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=attachments, ignore_changes=["scalingConfig.desiredSize"]
            ),
        )

    def _addons(self, cluster: aws.eks.Cluster, nodes: aws.eks.NodeGroup) -> None:
        namer = self._namer
        for addon, version in EKS_ADDONS.items():
            associations = []
            if addon in ADDON_IDENTITIES:
                service_account, policy = ADDON_IDENTITIES[addon]
                trust = pod_identity_trust(cluster.name, "kube-system", service_account)
                role = aws.iam.Role(namer("addon", addon), assume_role_policy=trust,
                                    name=volume_driver_role_name(namer) if addon == VOLUME_DRIVER else None,
                                    opts=pulumi.ResourceOptions(parent=self))
                aws.iam.RolePolicyAttachment(
                    namer("addon", addon), role=role.name, policy_arn=MANAGED_POLICY + policy,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                associations = [{"service_account": service_account, "role_arn": role.arn}]
            # The network plugin and pod identity agent come first; the rest need nodes to schedule on.
            needs_nodes = addon not in ("vpc-cni", "eks-pod-identity-agent", "kube-proxy")
            aws.eks.Addon(
                namer("addon", addon),
                cluster_name=cluster.name,
                addon_name=addon,
                addon_version=version,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="PRESERVE",
                pod_identity_associations=associations or None,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[nodes] if needs_nodes else []),
            )


def _kubeconfig(cluster: aws.eks.Cluster, region: str) -> pulumi.Output[str]:
    """Kubeconfig that authenticates with `aws eks get-token` (the credentials `pulumi up` runs with)."""
    def render(args: list[str]) -> str:
        name, endpoint, ca = args
        return json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": name,
            "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "users": [{"name": name, "user": {"exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
                "args": ["eks", "get-token", "--cluster-name", name, "--region", region, "--output", "json"],
            }}}],
        })
    return pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(render)
