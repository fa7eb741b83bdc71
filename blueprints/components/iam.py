"""IAM building blocks shared by every component: policy documents and least-privilege pod identities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

Statement = dict[str, Any]


def policy_document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """A policy document as JSON; statements may hold Outputs (ARNs of resources created in the same stack)."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: Sequence[str], resources: Sequence[Any], sid: str | None = None, **condition: Any) -> Statement:
    statement: Statement = {"Effect": "Allow", "Action": sorted(actions), "Resource": list(resources)}
    if sid:
        statement["Sid"] = sid
    if condition:
        statement["Condition"] = condition
    return statement


def service_trust(*services: str) -> str:
    """Trust policy letting AWS services assume a role."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": sorted(services)}, "Action": "sts:AssumeRole"}
            ],
        }
    )


POD_IDENTITY_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    ],
}


def pod_identity_trust() -> pulumi.Output[str]:
    """Trust policy for roles assumed through EKS Pod Identity."""
    return pulumi.Output.json_dumps(POD_IDENTITY_TRUST)


class PodIdentity(pulumi.ComponentResource):
    """An IAM role that exactly one Kubernetes service account assumes through EKS Pod Identity."""

    role_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        cluster_name: pulumi.Input[str],
        namespace: str,
        service_account: str,
        statements: Sequence[Statement],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("blueprints:iam:PodIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            name,
            assume_role_policy=pod_identity_trust(),
            description=f"Pod identity of {namespace}/{service_account}",
            opts=child,
        )
        if statements:
            aws.iam.RolePolicy(name, role=role.id, policy=policy_document(statements), opts=child)
        aws.eks.PodIdentityAssociation(
            name,
            cluster_name=cluster_name,
            namespace=namespace,
            service_account=service_account,
            role_arn=role.arn,
            opts=child,
        )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": role.arn})
