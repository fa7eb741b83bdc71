"""Karpenter: controller (upstream chart) with a least-privilege pod identity, the interruption queue, one
EC2NodeClass for GPU nodes and one NodePool per GPU pool with instance types, capacity types, taints and limits."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from blueprints.capacity import pool_instance_types
from blueprints.components.cluster import MANAGED_POLICY, NODE_POLICIES, SYSTEM_NODE_LABEL, Cluster
from blueprints.components.helm import chart_release
from blueprints.components.iam import PodIdentity, allow, service_trust
from blueprints.naming import Namer
from blueprints.spec import GpuPoolSpec, PlatformSpec
from blueprints.versions import EKS_NODE_AMI_ALIAS

NAMESPACE = "karpenter"
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
POOL_LABEL = "blueprints.io/gpu-pool"
NODE_CLASS = "gpu"
GPU_ROOT_VOLUME = "200Gi"
"""Room for the serving image (~25 GB) and its layers; model weights go to the instance-store NVMe RAID."""

INTERRUPTION_EVENTS = {
    "health": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "state": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
}


def node_pool_manifest(spec: PlatformSpec, pool: GpuPoolSpec) -> dict:
    """The karpenter.sh/v1 NodePool for one GPU pool (pure: tested without Pulumi)."""
    instance_types = [instance.name for instance in pool_instance_types(spec, pool)]
    return {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": pool.name},
        "spec": {
            "template": {
                "metadata": {"labels": {POOL_LABEL: pool.name}},
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": NODE_CLASS},
                    "requirements": [
                        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": instance_types},
                        {"key": "karpenter.sh/capacity-type", "operator": "In",
                         "values": list(spec.capacity_types(pool))},
                        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                    ],
                    "taints": [GPU_TAINT],
                    "expireAfter": "720h",
                },
            },
            "limits": {"nvidia.com/gpu": str(pool.max_gpus)},
            # GPU pods hold minutes of warm-up (weights, CUDA graphs): only remove nodes that are empty.
            "disruption": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m",
                           "budgets": [{"nodes": "10%"}]},
        },
    }


def node_class_manifest(
    name: str, node_role: pulumi.Input[str], cluster_name: str, security_group_id: pulumi.Input[str],
    kms_key_arn: pulumi.Input[str],
) -> dict:
    return {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": name},
        "spec": {
            "role": node_role,
            "amiSelectorTerms": [{"alias": EKS_NODE_AMI_ALIAS}],
            "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": cluster_name}}],
            "securityGroupSelectorTerms": [{"id": security_group_id}],
            "metadataOptions": {"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled",
                                "httpPutResponseHopLimit": 1, "httpTokens": "required"},
            "blockDeviceMappings": [{
                "deviceName": "/dev/xvda",
                "ebs": {"volumeSize": GPU_ROOT_VOLUME, "volumeType": "gp3", "encrypted": True,
                        "kmsKeyID": kms_key_arn, "deleteOnTermination": True},
            }],
            "instanceStorePolicy": "RAID0",
            "tags": {"karpenter.sh/discovery": cluster_name},
        },
    }


class Karpenter(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        spec: PlatformSpec,
        namer: Namer,
        *,
        cluster: Cluster,
        account_id: pulumi.Input[str],
        volume_key_arn: pulumi.Input[str],
        depends_on: list[pulumi.Resource],
        opts: pulumi.ResourceOptions,
    ):
        super().__init__("blueprints:cluster:Karpenter", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = namer.region

        node_role = aws.iam.Role(namer("karpenter-node"), assume_role_policy=service_trust("ec2.amazonaws.com"),
                                 opts=child)
        for policy in NODE_POLICIES:
            aws.iam.RolePolicyAttachment(namer("karpenter-node", policy), role=node_role.name,
                                         policy_arn=MANAGED_POLICY + policy, opts=child)
        access = cluster.allow_nodes("karpenter-nodes", node_role.arn)

        queue = aws.sqs.Queue(namer("karpenter-interruptions"), message_retention_seconds=300,
                              sqs_managed_sse_enabled=True, opts=child)
        aws.sqs.QueuePolicy(
            namer("karpenter-interruptions"), queue_url=queue.url,
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                "Action": "sqs:SendMessage", "Resource": queue.arn}]}),
            opts=child,
        )
        for event, pattern in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(namer("karpenter", event), event_pattern=pulumi.Output.json_dumps(pattern),
                                            opts=child)
            aws.cloudwatch.EventTarget(namer("karpenter", event), rule=rule.name, arn=queue.arn, opts=child)

        identity = PodIdentity(
            namer("karpenter"), cluster_name=cluster.cluster_name, namespace=NAMESPACE, service_account="karpenter",
            statements=_controller_statements(region, account_id, cluster.cluster_arn, node_role.arn, queue.arn),
            opts=child,
        )
        release = chart_release(
            namer("karpenter"), "karpenter", NAMESPACE,
            {
                "settings": {"clusterName": cluster.name, "interruptionQueue": queue.name},
                "serviceAccount": {"name": "karpenter"},
                "replicas": 2,
                "nodeSelector": SYSTEM_NODE_LABEL,
                "controller": {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"},
                                             "limits": {"memory": "1Gi"}}},
            },
            pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=[*depends_on, identity, access]),
        )
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=[release])
        node_class = node_class_manifest(NODE_CLASS, node_role.name, cluster.name, cluster.security_group_id,
                                         volume_key_arn)
        k8s.apiextensions.CustomResource(namer("nodeclass", NODE_CLASS), **_custom(node_class), opts=k8s_opts)
        for pool in spec.cluster.gpu_pools:
            k8s.apiextensions.CustomResource(namer("nodepool", pool.name), **_custom(node_pool_manifest(spec, pool)),
                                             opts=k8s_opts)
        self.node_role_arn = node_role.arn
        self.register_outputs({"node_role_arn": node_role.arn, "interruption_queue": queue.name})


def _custom(manifest: dict) -> dict:
    return {"api_version": manifest["apiVersion"], "kind": manifest["kind"], "metadata": manifest["metadata"],
            "spec": manifest["spec"]}


def _controller_statements(region: str, account_id: pulumi.Input[str], cluster_arn: pulumi.Input[str],
                           node_role_arn: pulumi.Input[str], queue_arn: pulumi.Input[str]) -> list[dict]:
    ec2 = pulumi.Output.concat("arn:aws:ec2:", region, ":", account_id, ":")
    regional = {"StringEquals": {"aws:RequestedRegion": region}}
    return [
        # Describe*/pricing/SSM-public reads have no resource-level permissions: AWS requires "*".
        allow(["ec2:DescribeAvailabilityZones", "ec2:DescribeImages", "ec2:DescribeInstances",
               "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplates",
               "ec2:DescribeSecurityGroups", "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets",
               "ec2:DescribeCapacityReservations", "pricing:GetProducts"], ["*"], "ReadOnlyDiscovery", **regional),
        allow(["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:CreateTags"],
              [pulumi.Output.concat(ec2, "instance/*"), pulumi.Output.concat(ec2, "fleet/*"),
               pulumi.Output.concat(ec2, "launch-template/*"), pulumi.Output.concat(ec2, "volume/*"),
               pulumi.Output.concat(ec2, "network-interface/*"), pulumi.Output.concat(ec2, "spot-instances-request/*"),
               pulumi.Output.concat(ec2, "security-group/*"), pulumi.Output.concat(ec2, "subnet/*"),
               pulumi.Output.concat(ec2, "capacity-reservation/*"),
               f"arn:aws:ec2:{region}::image/*", f"arn:aws:ec2:{region}::snapshot/*"], "LaunchNodes"),
        allow(["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
              [pulumi.Output.concat(ec2, "instance/*"), pulumi.Output.concat(ec2, "launch-template/*")],
              "RemoveOwnNodes", StringLike={"ec2:ResourceTag/karpenter.sh/nodepool": "*"}),
        allow(["iam:PassRole"], [node_role_arn], "PassNodeRole"),
        allow(["iam:CreateInstanceProfile", "iam:TagInstanceProfile", "iam:AddRoleToInstanceProfile",
               "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile", "iam:GetInstanceProfile"],
              [pulumi.Output.concat("arn:aws:iam::", account_id, ":instance-profile/*")], "NodeInstanceProfiles"),
        allow(["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"], [queue_arn], "Interruptions"),
        allow(["ssm:GetParameter"], [f"arn:aws:ssm:{region}::parameter/aws/service/*"], "AmiLookup"),
        allow(["eks:DescribeCluster"], [cluster_arn], "ClusterEndpoint"),
    ]

