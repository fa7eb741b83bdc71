"""The AWS Load Balancer Controller: Helm values and its IAM policy.

The policy follows the controller's published `iam_policy.json` (kubernetes-sigs/aws-load-balancer-controller
v2.14, docs/install), scoped to this account and region, with writes limited to load balancers, target groups
and security groups the controller tagged `elbv2.k8s.aws/cluster`.
"""

from __future__ import annotations

from typing import Any

import pulumi

from blueprints.components.iam import Statement, allow

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
CLUSTER_TAG = "elbv2.k8s.aws/cluster"


def controller_values(cluster_name: pulumi.Input[str], region: str, vpc_id: pulumi.Input[str],
                      replicas: int) -> dict[str, Any]:
    return {
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": replicas,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "nodeSelector": {"blueprints.io/node-role": "system"},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "enableServiceMutatorWebhook": False,
        "podDisruptionBudget": {"maxUnavailable": 1} if replicas > 1 else {},
    }


def controller_statements(region: str, account_id: pulumi.Input[str]) -> list[Statement]:
    def arn(service: str, resource: str) -> pulumi.Output[str]:
        return pulumi.Output.concat(f"arn:aws:{service}:{region}:", account_id, f":{resource}")

    regional = {"StringEquals": {"aws:RequestedRegion": region}}
    untagged_request = {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "false"}}
    owned = {"Null": {f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}
    load_balancers = [arn("elasticloadbalancing", "targetgroup/*/*"),
                      arn("elasticloadbalancing", "loadbalancer/app/*/*"),
                      arn("elasticloadbalancing", "loadbalancer/net/*/*")]
    listeners = [arn("elasticloadbalancing", "listener/app/*/*/*"), arn("elasticloadbalancing", "listener/net/*/*/*"),
                 arn("elasticloadbalancing", "listener-rule/app/*/*/*/*"),
                 arn("elasticloadbalancing", "listener-rule/net/*/*/*/*")]
    security_groups = [arn("ec2", "security-group/*")]
    return [
        allow(["iam:CreateServiceLinkedRole"],
              [pulumi.Output.concat("arn:aws:iam::", account_id, ":role/aws-service-role/",
                                    "elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing")],
              "ElbServiceLinkedRole", StringEquals={"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}),
        # Describe calls and these two account-level reads have no resource-level permissions: AWS requires "*".
        allow(["ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
               "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
               "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
               "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:DescribeRouteTables",
               "ec2:DescribeIpamPools", "ec2:DescribeCoipPools", "elasticloadbalancing:DescribeLoadBalancers",
               "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeListeners",
               "elasticloadbalancing:DescribeListenerCertificates", "elasticloadbalancing:DescribeSSLPolicies",
               "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups",
               "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth",
               "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTrustStores",
               "elasticloadbalancing:DescribeListenerAttributes",
               "elasticloadbalancing:DescribeCapacityReservation", "acm:ListCertificates",
               "shield:GetSubscriptionState"], ["*"], "Discover", **regional),
        allow(["ec2:GetSecurityGroupsForVpc"], [arn("ec2", "vpc/*"), *security_groups], "SecurityGroupsOfVpc"),
        allow(["ec2:GetCoipPoolUsage"], [arn("ec2", "coip-pool/*")], "CoipPools"),
        allow(["acm:DescribeCertificate"], [arn("acm", "certificate/*")], "Certificates"),
        allow(["wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL"],
              [arn("wafv2", "regional/webacl/*/*"), *load_balancers], "WebAcl"),
        allow(["shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection"],
              [pulumi.Output.concat("arn:aws:shield::", account_id, ":protection/*"), *load_balancers], "Shield"),
        allow(["ec2:CreateSecurityGroup"], [arn("ec2", "vpc/*"), *security_groups], "CreateSecurityGroups"),
        allow(["ec2:CreateTags"], security_groups, "TagNewSecurityGroups",
              StringEquals={"ec2:CreateAction": "CreateSecurityGroup"}, **untagged_request),
        allow(["ec2:CreateTags", "ec2:DeleteTags"], security_groups, "RetagOwnSecurityGroups", **owned),
        allow(["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"],
              security_groups, "ManageOwnSecurityGroups", **owned),
        allow(["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
              load_balancers, "CreateTaggedLoadBalancers", **untagged_request),
        allow(["elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
               "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"],
              [*load_balancers, *listeners], "Listeners"),
        allow(["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], [*load_balancers, *listeners],
              "RetagOwnLoadBalancers", **owned),
        allow(["elasticloadbalancing:AddTags"], load_balancers, "TagOnCreate",
              StringEquals={"elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]}),
        allow(["elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
               "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
               "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
               "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
               "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyCapacityReservation",
               "elasticloadbalancing:ModifyIpPools"], load_balancers, "ManageOwnLoadBalancers", **owned),
        allow(["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
              [arn("elasticloadbalancing", "targetgroup/*/*")], "Targets"),
        allow(["elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
               "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
               "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities"],
              [*load_balancers, *listeners], "ModifyListeners"),
    ]
