"""IAM building blocks shared by every component: policy documents and least-privilege pod identities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from blueprints.iam_policy import Statement
from blueprints.iam_policy import allow as allow  # re-exported: the components' one import for IAM


def policy_document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """A policy document as JSON; statements may hold Outputs (ARNs of resources created in the same stack)."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def service_trust(service: str, *, account_id: pulumi.Input[str] | None = None,
                  source_arn: pulumi.Input[str] | None = None) -> pulumi.Output[str]:
    """Trust policy letting one AWS service assume a role. Services that send the confused-deputy keys get them
    (`account_id` -> aws:SourceAccount, `source_arn` -> aws:SourceArn, a pattern where the source does not exist
    yet); blueprints/contracts/iam.py lists the services that cannot and why."""
    condition: dict[str, Any] = {}
    if account_id is not None:
        condition["StringEquals"] = {"aws:SourceAccount": account_id}
    if source_arn is not None:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    statement: Statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return pulumi.Output.json_dumps({"Version": "2012-10-17",
                                     "Statement": [{**statement, **({"Condition": condition} if condition else {})}]})


def pod_identity_trust(cluster_name: pulumi.Input[str], namespace: str, service_account: str) -> pulumi.Output[str]:
    """Trust policy for a role assumed through EKS Pod Identity by exactly one service account of one cluster: the
    session tags Pod Identity sets on every assume (Amazon EKS User Guide, pod-id-role.html, pod-id-abac.html)
    keep any other association in the account from using the role."""
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringEquals": {"aws:RequestTag/eks-cluster-name": cluster_name,
                                           "aws:RequestTag/kubernetes-namespace": namespace,
                                           "aws:RequestTag/kubernetes-service-account": service_account}},
        }],
    })


def deny_plain_http(action: str, resources: Sequence[Any]) -> Statement:
    """Resource-policy statement refusing `action` to everyone on requests that do not use TLS."""
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": action,
            "Resource": list(resources), "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


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
        role_name: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`role_name`: a fixed IAM name, for a role that a policy must name before it exists (a KMS key policy)."""
        super().__init__("blueprints:iam:PodIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            name,
            name=role_name,
            assume_role_policy=pod_identity_trust(cluster_name, namespace, service_account),
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
