"""Karpenter: controller (upstream chart) with a least-privilege pod identity, the interruption queue, one
EC2NodeClass for GPU nodes and one NodePool per GPU pool with instance types, capacity types, taints and limits."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from blueprints.capacity import pool_instance_types
from blueprints.components.cluster import MANAGED_POLICY, NODE_POLICIES, SYSTEM_NODE_LABEL, Cluster
from blueprints.components.helm import chart_release
from blueprints.components.iam import PodIdentity, allow, deny_plain_http, policy_document, service_trust
from blueprints.components.network import egress_mode
from blueprints.conventions import GPU_TAINT, NODE_CLASS, POOL_LABEL
from blueprints.naming import Namer
from blueprints.spec import GpuPoolSpec, PlatformSpec
from blueprints.versions import EKS_NODE_AMI_ALIAS

NAMESPACE = "karpenter"
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
                         "values": [*spec.capacity_types(pool), *(["reserved"] if reserves_capacity(pool) else [])]},
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


def reserves_capacity(pool: GpuPoolSpec) -> bool:
    return pool.reservation is not None and pool.reservation.kind in ("capacity-reservation", "capacity-block")


def node_class_manifest(
    name: str, instance_profile: pulumi.Input[str], cluster_name: str, security_group_id: pulumi.Input[str],
    kms_key_arn: pulumi.Input[str] | None, *, reservations: bool = False,
) -> dict:
    """Nodes take the pre-created instance profile (`spec.instanceProfile`), never `spec.role`: with a role the
    controller manages profiles through the IAM API, which no VPC endpoint serves (aws/karpenter-provider-aws
    v1.14.1, website/content/en/docs/concepts/nodeclasses.md, `spec.instanceProfile`). With `reservations`, the
    cluster's Capacity Reservations (tagged like its subnets) are selected: Karpenter launches into them first, as
    capacity type `reserved` (same page, `spec.capacityReservationSelectorTerms`; ReservedCapacity is a beta feature
    gate on by default since v1.6)."""
    selector = {"capacityReservationSelectorTerms": [{"tags": {"karpenter.sh/discovery": cluster_name}}]}
    return {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": name},
        "spec": {
            "instanceProfile": instance_profile,
            "amiSelectorTerms": [{"alias": EKS_NODE_AMI_ALIAS}],
            "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": cluster_name}}],
            "securityGroupSelectorTerms": [{"id": security_group_id}],
            "metadataOptions": {"httpEndpoint": "enabled", "httpProtocolIPv6": "disabled",
                                "httpPutResponseHopLimit": 1, "httpTokens": "required"},
            "blockDeviceMappings": [{
                "deviceName": "/dev/xvda",
                "ebs": {"volumeSize": GPU_ROOT_VOLUME, "volumeType": "gp3", "encrypted": True,
                        **({"kmsKeyID": kms_key_arn} if kms_key_arn is not None else {}),
                        "deleteOnTermination": True},
            }],
            "instanceStorePolicy": "RAID0",
            "tags": {"karpenter.sh/discovery": cluster_name},
            **(selector if reservations else {}),
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
        volume_key_arn: pulumi.Input[str] | None,
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
        # One code path for every VPC: pre-created here, so the controller never creates, tags or changes profiles.
        profile = aws.iam.InstanceProfile(namer("karpenter-node"), role=node_role.name, opts=child)
        access = cluster.allow_nodes("karpenter-nodes", node_role.arn)

        queue = aws.sqs.Queue(namer("karpenter-interruptions"), message_retention_seconds=300,
                              sqs_managed_sse_enabled=True, opts=child)
        rules = []
        for event, pattern in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(namer("karpenter", event), event_pattern=pulumi.Output.json_dumps(pattern),
                                            opts=child)
            aws.cloudwatch.EventTarget(namer("karpenter", event), rule=rule.name, arn=queue.arn, opts=child)
            rules.append(rule.arn)
        aws.sqs.QueuePolicy(namer("karpenter-interruptions"), queue_url=queue.url,
                            policy=policy_document(interruption_queue_statements(queue.arn, account_id, rules)),
                            opts=child)

        identity = PodIdentity(
            namer("karpenter"), cluster_name=cluster.cluster_name, namespace=NAMESPACE, service_account="karpenter",
            role_name=controller_role_name(namer),
            statements=_controller_statements(region, account_id, cluster.name, cluster.cluster_arn, node_role.arn,
                                              queue.arn),
            opts=child,
        )
        release = chart_release(
            namer("karpenter"), "karpenter", NAMESPACE,
            {
                "settings": {"clusterName": cluster.name, "interruptionQueue": queue.name,
                             # No internet route: skip the calls AWS offers no VPC endpoint for (Pricing API).
                             "isolatedVPC": egress_mode(spec) == "none"},
                "serviceAccount": {"name": "karpenter"},
                "replicas": 2,
                "nodeSelector": SYSTEM_NODE_LABEL,
                "controller": {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"},
                                             "limits": {"memory": "1Gi"}}},
            },
            pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=[*depends_on, identity, access]),
        )
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=[release])
        reserving = [pool for pool in spec.cluster.gpu_pools if reserves_capacity(pool)]
        node_class = node_class_manifest(NODE_CLASS, profile.name, cluster.name, cluster.security_group_id,
                                         volume_key_arn, reservations=bool(reserving))
        if reserving:
            zones = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOptions(parent=self))
        for pool in reserving:
            if pool.reservation.kind == "capacity-block":
                capacity_block(namer, pool, cluster.name, self)
                continue
            for index in range(spec.network.availability_zones):
                aws.ec2.CapacityReservation(
                    namer("odcr", pool.name, str(index)), instance_type=pool.reservation.instance_type,
                    instance_platform="Linux/UNIX", availability_zone=zones.names[index],
                    instance_count=pool.reservation.instances_per_zone, instance_match_criteria="targeted",
                    end_date_type="unlimited", tags={"karpenter.sh/discovery": cluster.name}, opts=child)
        k8s.apiextensions.CustomResource(namer("nodeclass", NODE_CLASS), **_custom(node_class), opts=k8s_opts)
        for pool in spec.cluster.gpu_pools:
            k8s.apiextensions.CustomResource(namer("nodepool", pool.name), **_custom(node_pool_manifest(spec, pool)),
                                             opts=k8s_opts)
        self.node_role_arn = node_role.arn
        self.register_outputs({"node_role_arn": node_role.arn, "interruption_queue": queue.name})


def capacity_block(namer: Namer, pool: GpuPoolSpec, cluster_name: str, parent: pulumi.Resource) -> None:
    """Buy the pool's EC2 Capacity Block for ML: the first offering AWS has for the block's instances and days,
    starting on `start_date` (all blocks start and end at 11:30 UTC), in the zone it comes in. Tagged like the
    cluster's subnets, so the EC2NodeClass's capacityReservationSelectorTerms select it. The purchase is upfront
    and cannot be cancelled: a later run whose offering lookup answers another offering must not buy a second
    block, hence ignore_changes on the offering id."""
    block = pool.reservation
    assert block is not None and block.start_date is not None and block.duration_days is not None
    start = datetime.combine(block.start_date, time(11, 30), tzinfo=UTC)
    offering = aws.ec2.get_capacity_block_offering_output(
        instance_type=block.instance_type, instance_count=block.block_instances,
        capacity_duration_hours=block.duration_days * 24, start_date_range=start.isoformat().replace("+00:00", "Z"),
        end_date_range=(start + timedelta(days=block.duration_days)).isoformat().replace("+00:00", "Z"),
        opts=pulumi.InvokeOutputOptions(parent=parent))
    aws.ec2.CapacityBlockReservation(
        namer("capacity-block", pool.name), capacity_block_offering_id=offering.capacity_block_offering_id,
        instance_platform="Linux/UNIX", tags={"karpenter.sh/discovery": cluster_name, POOL_LABEL: pool.name},
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["capacityBlockOfferingId"]))


def controller_role_name(namer: Namer) -> str:
    """The controller's IAM role name, fixed: the cluster key's policy names it as a CreateFleet caller."""
    return namer("karpenter")


def interruption_queue_statements(queue_arn: pulumi.Input[str], account_id: pulumi.Input[str],
                                  rule_arns: list[pulumi.Input[str]]) -> list[dict]:
    """EventBridge delivers only this stack's interruption rules (aws:SourceArn, Amazon EventBridge User Guide,
    eb-use-resource-based.html#eb-sqs-permissions) and nothing reaches the queue over plain HTTP (Karpenter v1.14.1
    cloudformation.yaml, KarpenterInterruptionQueuePolicy `DenyHTTP`). Karpenter's reference also lets
    sqs.amazonaws.com send; nothing here sends through SQS itself, so that grant is left out."""
    return [
        deny_plain_http("sqs:*", [queue_arn]),
        {**allow(["sqs:SendMessage"], [queue_arn], "EventBridgeInterruptions",
                 StringEquals={"aws:SourceAccount": account_id}, ArnEquals={"aws:SourceArn": rule_arns}),
         "Principal": {"Service": "events.amazonaws.com"}},
    ]


def _custom(manifest: dict) -> dict:
    return {"api_version": manifest["apiVersion"], "kind": manifest["kind"], "metadata": manifest["metadata"],
            "spec": manifest["spec"]}


def _controller_statements(region: str, account_id: pulumi.Input[str], cluster_name: str,
                           cluster_arn: pulumi.Input[str], node_role_arn: pulumi.Input[str],
                           queue_arn: pulumi.Input[str]) -> list[dict]:
    """Karpenter's reference controller policy, statement for statement: aws/karpenter-provider-aws v1.14.1,
    website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml (NodeLifecyclePolicy,
    IAMIntegrationPolicy, EKSIntegrationPolicy, InterruptionPolicy, ZonalShiftPolicy, ResourceDiscoveryPolicy).
    Everything Karpenter creates carries the cluster's ownership tag and a NodePool tag; everything it changes or
    deletes must already carry them, and it can hand EC2 only the node role.

    Deviation: the node class names a pre-created instance profile, so Karpenter never creates, tags or fills one
    (pkg/controllers/nodeclass/instanceprofile.go: only `spec.role` reaches instanceProfileProvider.Create). Left
    out: iam:CreateInstanceProfile, iam:TagInstanceProfile, iam:AddRoleToInstanceProfile. Kept: List/Get and the
    tag-scoped RemoveRole/Delete, which garbage collection and the EC2NodeClass finalizer still call outside an
    isolated VPC (pkg/controllers/controllers.go, pkg/controllers/nodeclass/controller.go) to remove profiles an
    earlier `spec.role` node class made."""
    ec2 = f"arn:aws:ec2:{region}:*:"
    owned = f"kubernetes.io/cluster/{cluster_name}"
    created = [ec2 + kind for kind in ("fleet/*", "instance/*", "volume/*", "network-interface/*", "launch-template/*",
                                       "spot-instances-request/*")]
    request_tags = {"StringEquals": {f"aws:RequestTag/{owned}": "owned",
                                     "aws:RequestTag/eks:eks-cluster-name": cluster_name},
                    "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}}
    resource_tags = {"StringEquals": {f"aws:ResourceTag/{owned}": "owned"},
                     "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}}
    profile = pulumi.Output.concat("arn:aws:iam::", account_id, ":instance-profile/*")
    profile_resource = {f"aws:ResourceTag/{owned}": "owned", "aws:ResourceTag/topology.kubernetes.io/region": region}
    return [
        allow(["ec2:RunInstances", "ec2:CreateFleet"],
              [f"arn:aws:ec2:{region}::image/*", f"arn:aws:ec2:{region}::snapshot/*", ec2 + "security-group/*",
               ec2 + "subnet/*", ec2 + "capacity-reservation/*", ec2 + "placement-group/*"],
              "AllowScopedEC2InstanceAccessActions"),
        allow(["ec2:RunInstances", "ec2:CreateFleet"], [ec2 + "launch-template/*"],
              "AllowScopedEC2LaunchTemplateAccessActions", **resource_tags),
        allow(["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"], created,
              "AllowScopedEC2InstanceActionsWithTags", **request_tags),
        allow(["ec2:CreateTags"], created, "AllowScopedResourceCreationTagging",
              StringEquals={**request_tags["StringEquals"],
                            "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"]},
              StringLike=request_tags["StringLike"]),
        allow(["ec2:CreateTags"], [ec2 + "instance/*"], "AllowScopedResourceTagging", **resource_tags,
              StringEqualsIfExists={"aws:RequestTag/eks:eks-cluster-name": cluster_name},
              **{"ForAllValues:StringEquals": {"aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim",
                                                               "Name"]}}),
        allow(["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"], [ec2 + "instance/*", ec2 + "launch-template/*"],
              "AllowScopedDeletion", **resource_tags),
        allow(["iam:PassRole"], [node_role_arn], "AllowPassingInstanceRole",
              StringEquals={"iam:PassedToService": "ec2.amazonaws.com"}),
        allow(["iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
              [profile], "AllowScopedInstanceProfileActions", StringEquals=profile_resource,
              StringLike={"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"}),
        allow(["eks:DescribeCluster"], [cluster_arn], "AllowAPIServerEndpointDiscovery"),
        allow(["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"], [queue_arn],
              "AllowInterruptionQueueActions"),
        # Describe*, pricing, zonal-shift status and the instance-profile list have no resource-level permissions.
        allow(["arc-zonal-shift:GetManagedResource"], ["*"], "AllowZonalShiftStatusReadOnly",
              StringEquals={"arc-zonal-shift:ResourceIdentifier": cluster_arn}),
        allow(["ec2:DescribeCapacityReservations", "ec2:DescribeImages", "ec2:DescribeInstances",
               "ec2:DescribeInstanceStatus", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeInstanceTypes",
               "ec2:DescribeLaunchTemplates", "ec2:DescribePlacementGroups", "ec2:DescribeSecurityGroups",
               "ec2:DescribeSpotPriceHistory", "ec2:DescribeSubnets"], ["*"], "AllowRegionalReadActions",
              StringEquals={"aws:RequestedRegion": region}),
        allow(["ssm:GetParameter"], [f"arn:aws:ssm:{region}::parameter/aws/service/*"], "AllowSSMReadActions"),
        allow(["pricing:GetProducts"], ["*"], "AllowPricingReadActions"),
        allow(["iam:ListInstanceProfiles"], ["*"], "AllowUnscopedInstanceProfileListAction"),
        allow(["iam:GetInstanceProfile"], [profile], "AllowInstanceProfileReadActions"),
    ]
