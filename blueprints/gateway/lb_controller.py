"""The AWS Load Balancer Controller: Helm values and its IAM policy.

The platform's load balancers are Pulumi's (components/edge.py); the controller only keeps their target groups'
targets equal to the ready pods behind each TargetGroupBinding. Its policy is therefore the describe calls of
the controller's published `iam_policy.json` (kubernetes-sigs/aws-load-balancer-controller v2.14, docs/install)
plus target registration on exactly the platform's target groups: it cannot create, change or delete load
balancers, listeners or security groups, and it installs no IngressClass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from blueprints.iam_policy import Statement, allow

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"


def controller_values(cluster_name: Any, region: str, vpc_id: Any,
                      replicas: int) -> dict[str, Any]:
    """Helm values; `cluster_name` and `vpc_id` may be pulumi Outputs (known after deployment)."""
    return {
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": replicas,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "nodeSelector": {"blueprints.io/node-role": "system"},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "enableServiceMutatorWebhook": False,
        # Target binding only: no IngressClass, and no WAF/Shield calls (the edge associates the web ACL).
        "createIngressClassResource": False,
        "ingressClassParams": {"create": False},
        "enableShield": False,
        "enableWaf": False,
        "enableWafv2": False,
        "podDisruptionBudget": {"maxUnavailable": 1} if replicas > 1 else {},
    }


def controller_statements(region: str, target_group_arns: Sequence[Any]) -> list[Statement]:
    return [
        # Describe calls have no resource-level permissions: AWS requires "*".
        allow(["ec2:DescribeAvailabilityZones", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces",
               "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
               "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
               "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTargetGroups",
               "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth"],
              ["*"], "Discover", StringEquals={"aws:RequestedRegion": region}),
        allow(["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
              list(target_group_arns), "BindPlatformTargets"),
    ]
