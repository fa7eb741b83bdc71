"""Every apply-time contract, one entry each: what it checks, the AWS or Kubernetes rule it encodes (one line and the
documentation page), the usual fix, and the pure function of the planned graph that finds its failures.

`check --contracts` and `plan` run them; docs/contracts.md is generated from this list (`python -m blueprints docs`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from blueprints.contracts import bedrock, credentials, egress, iam, images, kms, ports, versions
from blueprints.contracts.findings import Finding, Rule
from blueprints.contracts.parliament_lint import parliament_problems
from blueprints.engine.graph import ResourceGraph


@dataclass(frozen=True)
class Target:
    """What a contract needs to know beyond the graph."""

    environment: str
    private: bool
    """The spec keeps the platform off the internet (spec.is_private)."""
    as_of: date
    """The day the stack is judged on (EKS support windows)."""

    @property
    def prod(self) -> bool:
        return self.environment == "prod"


Problems = Callable[[ResourceGraph, Target], list[str]]


@dataclass(frozen=True)
class Contract:
    rule: Rule
    problems: Problems
    code: str
    """Where the check lives (module:function), for the docs."""
    resource_parts: int = 1
    """How many leading `: `-separated fields of a problem line name the resource."""

    def run(self, graph: ResourceGraph, target: Target) -> list[Finding]:
        return [Finding.from_line(self.rule, line, self.resource_parts) for line in self.problems(graph, target)]


def _each_document(check: Callable[[iam.PolicyDocument], list[str]],
                   kinds: Iterable[str] = ("identity", "trust", "resource")) -> Problems:
    def problems(graph: ResourceGraph, target: Target) -> list[str]:
        return [line for document in iam.policy_documents(graph) if document.kind in kinds
                for line in check(document)]
    return problems


def _transport(graph: ResourceGraph, target: Target) -> list[str]:
    return iam.topics_and_queues_without_policy(graph) + _each_document(iam.insecure_transport_problems)(graph, target)


def _egress(graph: ResourceGraph, target: Target) -> list[str]:
    return [line for report in egress.egress_reports(graph, target.private) for line in report.problems()]


CONTRACTS: tuple[Contract, ...] = (
    Contract(Rule(
        "kms-key-users", "KMS key users",
        "Every principal that encrypts or decrypts with a customer managed key is allowed by the key policy or a "
        "grant (EBS volumes: the Auto Scaling service-linked role and Karpenter's CreateFleet role, with "
        "kms:CreateGrant for AWS resources; CloudWatch Logs under its encryption context), and nothing else is",
        "https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html",
        "allow the principal in the key's policy (blueprints/components/keys.py) or drop the over-broad statement"),
        lambda graph, target: kms.kms_problems(graph), "blueprints/contracts/kms.py:kms_problems"),
    Contract(Rule(
        "iam-parliament", "IAM policies pass parliament",
        "Every IAM policy document is valid against IAM's action, resource and condition-key reference and opens "
        "no privilege-escalation path (parliament: no finding of severity MEDIUM or above)",
        "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-"
        "contextkeys.html",
        "scope the statement's resources and conditions to what its actions require"),
        lambda graph, target: parliament_problems(graph), "blueprints/contracts/parliament_lint.py"),
    Contract(Rule(
        "iam-passrole", "iam:PassRole held",
        "iam:PassRole names the roles it passes (no wildcard) and the one service it passes them to "
        "(iam:PassedToService)",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
        "name the role ARN and add a StringEquals iam:PassedToService condition"),
        _each_document(iam.passrole_problems, ("identity",)), "blueprints/contracts/iam.py:passrole_problems"),
    Contract(Rule(
        "iam-confused-deputy", "Confused deputy",
        "Every Allow to an AWS service principal in a trust or resource policy carries aws:SourceAccount, and "
        "aws:SourceArn where the service sets it; EKS Pod Identity trusts are scoped by their session tags",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
        "add aws:SourceAccount (and aws:SourceArn) conditions to the statement"),
        _each_document(iam.confused_deputy_problems), "blueprints/contracts/iam.py:confused_deputy_problems"),
    Contract(Rule(
        "sns-sqs-transport", "TLS-only topics and queues",
        "Every SNS topic and SQS queue policy denies, to everyone, every action it allows when "
        "aws:SecureTransport is false",
        "https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html"
        "#enforce-encryption-data-in-transit",
        "add a Deny statement for aws:SecureTransport false covering the allowed actions"),
        _transport, "blueprints/contracts/iam.py:insecure_transport_problems"),
    Contract(Rule(
        "bedrock-invocation", "Bedrock invocation",
        "A model Bedrock serves only through a cross-Region inference profile is called by a profile of the "
        "caller's Region, and the caller may invoke the profile and the model in every destination Region",
        "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html",
        "call the profile ID and grant blueprints/gateway/bedrock.py invoke_grants"),
        lambda graph, target: bedrock.bedrock_contract_problems(graph),
        "blueprints/contracts/bedrock.py:bedrock_contract_problems"),
    Contract(Rule(
        "eks-endpoint-exposure", "EKS API endpoint exposure",
        "A private platform's Kubernetes API has no public endpoint; a public endpoint names its CIDRs (EKS "
        "otherwise opens it to 0.0.0.0/0)",
        "https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html",
        "set cluster.endpoint_public_access false, or name cluster.public_access_cidrs"),
        lambda graph, target: egress.endpoint_exposure_problems(graph, target.private),
        "blueprints/contracts/egress.py:endpoint_exposure_problems"),
    Contract(Rule(
        "vpc-egress", "Private egress",
        "A private VPC has an endpoint for every AWS API its workloads call and no route to the internet except "
        "through AWS Network Firewall; where IAM is unreachable, Karpenter's EC2NodeClass names a pre-created "
        "spec.instanceProfile instead of spec.role (Karpenter v1.14.1 docs, concepts/nodeclasses)",
        "https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html",
        "add the endpoint (blueprints.components.network.endpoint_services), remove the route, or name the "
        "instance profile in the EC2NodeClass"),
        _egress, "blueprints/contracts/egress.py:egress_reports"),
    Contract(Rule(
        "k8s-ports", "Kubernetes port graph",
        "Every Service's targetPort is a containerPort of the pods it selects, every configured in-cluster call "
        "resolves to a served port its NetworkPolicies admit, and every monitor scrapes a served port",
        "https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service",
        "align the Service, container port, NetworkPolicy or monitor with the server"),
        lambda graph, target: ports.check_ports(graph).problems, "blueprints/contracts/ports.py:check_ports",
        resource_parts=2),
    Contract(Rule(
        "eks-version-support", "EKS version support",
        "The cluster's Kubernetes version is in EKS standard support, in prod with 60 days of it left",
        "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html",
        "upgrade cluster.kubernetes_version"),
        lambda graph, target: versions.version_problems(graph, target.prod, target.as_of),
        "blueprints/contracts/versions.py:version_problems"),
    Contract(Rule(
        "image-tags", "Image tags",
        "No container runs a pre-release tag; in prod every image is pinned by digest",
        "https://kubernetes.io/docs/concepts/containers/images/#image-names",
        "pin a released version, with its digest, in blueprints/versions.py"),
        lambda graph, target: images.image_problems(graph, target.prod), "blueprints/contracts/images.py"),
    Contract(Rule(
        "admin-credentials", "Admin credentials stay out of workload pods",
        "No ExternalSecret syncs an RDS-managed master secret, and the gateway master key reaches only the gateway "
        "and the batch worker",
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html",
        "read admin secrets at run time with a dedicated identity; give other consumers their own generated keys"),
        lambda graph, target: credentials.credential_problems(graph),
        "blueprints/contracts/credentials.py:credential_problems"),
)

BY_ID = {contract.rule.id: contract for contract in CONTRACTS}


def run_contracts(graph: ResourceGraph, target: Target) -> dict[str, list[Finding]]:
    """Every contract's findings, by contract id (in registry order)."""
    return {contract.rule.id: contract.run(graph, target) for contract in CONTRACTS}
