"""Every IAM policy document a planned graph carries, and the AWS rules those documents must keep.

Pure functions of the recorded graph (no pulumi import): the tests and `check --contracts` share them. Each
allowlist below is the one place that admits an exception, with the reason and the AWS documentation behind it.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from blueprints.contracts.findings import as_list
from blueprints.engine.graph import ResourceGraph

DocumentKind = Literal["identity", "trust", "resource"]

TRUST_INPUT = "assumeRolePolicy"
TRANSPORT_POLICY_TYPES = ("aws:sns/topicPolicy:TopicPolicy", "aws:sqs/queuePolicy:QueuePolicy")
"""Resource policies of SNS topics and SQS queues: each must refuse requests that are not TLS."""


@dataclass(frozen=True)
class PolicyDocument:
    resource: str
    """The graph resource's name."""
    type: str
    path: str
    """The input that holds the document, e.g. `policy`, `assumeRolePolicy`, `inlinePolicies[0].policy`."""
    kind: DocumentKind
    arn: str | None
    """The ARN of the resource that holds the document (for a trust policy: the role it guards)."""
    document: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.resource} ({self.type}) {self.path}"

    def statements(self) -> list[dict[str, Any]]:
        return as_list(self.document["Statement"])


def policy_documents(graph: ResourceGraph) -> list[PolicyDocument]:
    """Every JSON document with a `Statement` in any input of any resource, at any depth: identity policies
    (`aws:iam/*`, role inline policies included), trust policies (`assumeRolePolicy`) and resource policies
    (bucket, key, topic, queue, secret, repository ...)."""
    documents = []
    for record in graph.resources:
        for path, document in _documents_in(record.inputs, ""):
            kind: DocumentKind = ("trust" if path == TRUST_INPUT
                                  else "identity" if record.type.startswith("aws:iam/") else "resource")
            arn = record.outputs.get("arn")
            documents.append(PolicyDocument(record.name, record.type, path, kind,
                                            arn if isinstance(arn, str) else None, document))
    return documents


def _documents_in(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(value, str) and value.lstrip().startswith("{") and '"Statement"' in value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return
        if isinstance(parsed, dict) and "Statement" in parsed:
            yield path, parsed
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _documents_in(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _documents_in(item, f"{path}[{index}]")


# --- parliament ------------------------------------------------------------------------------------------------

def parliament_text(document: PolicyDocument) -> str:
    """The JSON that parliament lints. Parliament reads the identity-policy grammar, where every statement names
    a Resource; a trust policy's resource is the role that carries it, so a trust policy is linted with the role's
    ARN as the Resource of each statement (that checks its actions and condition keys against the `role` resource
    type). Other documents are linted as they are."""
    if document.kind != "trust":
        return json.dumps(document.document)
    statements = [{**statement, "Resource": document.arn or "arn:aws:iam::000000000000:role/unknown"}
                  for statement in document.statements()]
    return json.dumps({**document.document, "Statement": statements})


PARLIAMENT_BLOCKING = ("CRITICAL", "HIGH", "MEDIUM")

ArnMatcher = Callable[[str, str], bool]
"""(ARN format of IAM's reference, resource of a policy) -> whether they match: parliament's is_arn_strictly_valid."""

RESOURCE_MISMATCH_FALSE_POSITIVES: dict[str, str] = {
    "another statement grants it": (
        "IAM authorizes each resource of a request against every statement of the policy; parliament 1.6.4 wants "
        "each statement alone to name every required resource type of its actions. Karpenter's reference policy "
        "(v1.14.1 cloudformation.yaml) splits ec2:RunInstances / ec2:CreateFleet by resource type on purpose."),
    "AWS-owned resource": (
        "AWS-owned resources have an empty account field (foundation models, public SSM parameters "
        "arn:aws:ssm:region::parameter/aws/service/*, AMIs, snapshots); parliament's is_arn_match refuses an empty "
        "account where IAM's format has '*'."),
    "colon in a model ID": (
        "Bedrock model and inference-profile IDs end in a version after a colon (anthropic.claude-...-v1:0); "
        "parliament's is_arn_strictly_valid refuses a colon in the resource ID."),
    "one of alternative resource types": (
        "bedrock:InvokeModel* mark every invocable resource type required (foundation-model, inference-profile, "
        "provisioned-model ...; Service Authorization Reference, list_amazonbedrock.html); a request names one of "
        "them, so the finding stands only when none is granted."),
}
"""The one place that waives parliament findings: parliament's own false positives, each with its reason. A
RESOURCE_MISMATCH is waived only when every (action, required format) it reports is granted by some statement of
the same document once the resource is read as IAM reads it (empty account and model-ID colons normalised);
any other finding of severity MEDIUM or above fails the contract."""

ALTERNATIVE_RESOURCE_TYPES = ("bedrock:invokemodel", "bedrock:invokemodelwithresponsestream")


def _as_iam_reads_it(resource: str) -> str:
    """An empty account (AWS-owned resource) as '*', and colons inside a resource ID's name as '*'."""
    parts = resource.split(":", 5)
    if len(parts) < 6:
        return resource
    account = parts[4] or "*"
    kind, slash, name = parts[5].partition("/")
    return ":".join([*parts[:4], account, kind + slash + name.replace(":", "*")])


def _granted(document: PolicyDocument, action: str, required: str, matches: ArnMatcher) -> bool:
    for statement in document.statements():
        actions = [str(granted).lower() for granted in as_list(statement.get("Action", []))]
        if statement.get("Effect") != "Allow" or not any(fnmatch.fnmatchcase(action.lower(), a) for a in actions):
            continue
        resources = [str(resource) for resource in as_list(statement.get("Resource", []))]
        if required == "*":  # an action without resource-level permissions is granted only on "*"
            if "*" in resources:
                return True
        elif any(resource == "*" or matches(required, _as_iam_reads_it(resource)) for resource in resources):
            return True
    return False


def _waived_mismatch(document: PolicyDocument, detail: Any, matches: ArnMatcher) -> bool:
    formats: dict[str, list[str]] = {}
    for item in detail if isinstance(detail, list) else []:
        formats.setdefault(item["action"], []).append(item["required_format"])
    if not formats:
        return False
    for action, required in formats.items():
        granted = [fmt for fmt in required if _granted(document, action, fmt, matches)]
        if not (granted if action.lower() in ALTERNATIVE_RESOURCE_TYPES else len(granted) == len(required)):
            return False
    return True


def parliament_findings(document: PolicyDocument, findings: list[Any], matches: ArnMatcher) -> list[str]:
    """The blocking findings of one parliament run (`parliament.analyze_policy_string(...).findings`, each passed
    through `parliament.enhance_finding`, which sets its severity), one line each, less the waived ones."""
    problems = []
    for finding in findings:
        if finding.severity not in PARLIAMENT_BLOCKING:
            continue
        if finding.issue == "RESOURCE_MISMATCH" and _waived_mismatch(document, finding.detail, matches):
            continue
        text = f"{finding.detail} {finding.location}"
        problems.append(f"{document.where}: parliament {finding.severity} {finding.issue}: {text[:300]}")
    return problems


PRIVILEGE_ESCALATION_ACCEPTED: dict[str, str] = {
    "CreateEC2WithExistingIP": (
        "Karpenter launches GPU nodes with the node role, so its controller needs iam:PassRole and "
        "ec2:RunInstances together (aws/karpenter-provider-aws v1.14.1 cloudformation.yaml, "
        "AllowPassingInstanceRole). Parliament's community auditor matches action names only; passrole_problems() "
        "holds every PassRole to named roles and to ec2.amazonaws.com, which closes the path it describes."),
}
"""Escalation paths of parliament's community PRIVILEGE_ESCALATION auditor (named by its `type`) that a document
may open, and why; each also requires passrole_problems() to be empty."""


def passrole_problems(document: PolicyDocument) -> list[str]:
    """iam:PassRole, the step of every PassRole escalation path, only on named roles (no wildcard) and only to the
    service that needs the role (iam:PassedToService)."""
    problems = []
    for statement in document.statements():
        actions = [str(action).lower() for action in as_list(statement.get("Action", []))]
        if statement.get("Effect") != "Allow" or not any(fnmatch.fnmatchcase("iam:passrole", a) for a in actions):
            continue
        if any("*" in str(resource) for resource in as_list(statement.get("Resource", []))):
            problems.append(f"{document.where}: iam:PassRole on a wildcard resource")
        if "iam:passedtoservice" not in condition_keys(statement):
            problems.append(f"{document.where}: iam:PassRole without iam:PassedToService")
    return problems


# --- confused deputy and transport -----------------------------------------------------------------------------

ROLE, BUCKET_POLICY, KMS_KEY = "aws:iam/role:Role", "aws:s3/bucketPolicy:BucketPolicy", "aws:kms/key:Key"
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"

SOURCE_ACCOUNT_NOT_SUPPORTED: dict[tuple[str, str], str] = {
    ("ec2.amazonaws.com", ROLE): (
        "EC2 assumes an instance-profile role for the instance itself, with no source resource: the request carries "
        "no aws:SourceAccount/aws:SourceArn, so the condition would stop every node from getting credentials "
        "(IAM User Guide, reference_policies_condition-keys.html#condition-keys-sourceaccount: present only when a "
        "service acts on behalf of a resource; prowler-cloud/prowler#2810). Who may hand the role to EC2 is "
        "limited instead: iam:PassRole only on the node role and only to ec2.amazonaws.com."),
    ("cloudtrail.amazonaws.com", ROLE): (
        "AWS CloudTrail User Guide, cloudtrail-required-policy-for-cloudwatch-logs.html: 'Confused deputy "
        "prevention is not applicable to the role policy for CloudWatch Logs monitoring. The role policy doesn't "
        "support the use of aws:SourceArn and aws:SourceAccount.'"),
    ("lambda.amazonaws.com", ROLE): (
        "AWS Lambda Developer Guide, lambda-intro-execution-role.html: the execution role's trust names only the "
        "Lambda service principal, and permissions-source-function-arn.html: 'The aws:SourceArn condition key "
        "applies only to policies where your Lambda function is the target resource'. Only principals allowed "
        "iam:PassRole on the role can attach it to a function."),
    ("s3.amazonaws.com", ROLE): (
        "Amazon S3 User Guide, setting-repl-config-perm-overview.html documents the replication role's trust "
        "without source conditions; the role is usable only by the bucket whose replication configuration names it "
        "(s3:PutReplicationConfiguration needs iam:PassRole on it)."),
    ("logs.<region>.amazonaws.com", KMS_KEY): (
        "CloudWatch Logs User Guide, encrypt-log-data-kms.html: the documented key policy binds the logs service "
        "principal with kms:EncryptionContext:aws:logs:arn (this account's log groups of this region) and names no "
        "aws:SourceAccount; DescribeKey returns metadata only."),
    (POD_IDENTITY_SERVICE, ROLE): (
        "Amazon EKS User Guide, pod-id-role.html and pod-id-abac.html: EKS Pod Identity scopes a role with the "
        "session tags it sets (eks-cluster-name, kubernetes-namespace, kubernetes-service-account), not with "
        "aws:SourceAccount; every Pod Identity trust here requires those three tags (POD_IDENTITY_SESSION_TAGS)."),
}
"""(service principal, type of the resource holding the document) -> why that service's statement carries no
aws:SourceAccount there."""

SOURCE_ARN_SUPPORTED: dict[tuple[str, str], str] = {
    ("eks.amazonaws.com", ROLE):
        "Amazon EKS User Guide, cross-service-confused-deputy-prevention.html (cluster role trust)",
    ("vpc-flow-logs.amazonaws.com", ROLE):
        "Amazon VPC User Guide, flow-logs-iam-role.html (aws:SourceArn arn:aws:ec2:region:account:vpc-flow-log/*)",
    ("grafana.amazonaws.com", ROLE):
        "Amazon Managed Grafana User Guide, AMG-manage-permissions.html (workspace role trust: aws:SourceArn "
        "arn:aws:grafana:region:account:/workspaces/*; as in aws-samples/terraform-eks-code "
        ".keycloak/script-orig/03-role.sh)",
    ("events.amazonaws.com", "aws:sqs/queuePolicy:QueuePolicy"):
        "Amazon EventBridge User Guide, eb-use-resource-based.html#eb-sqs-permissions (aws:SourceArn: the rule)",
    ("logging.s3.amazonaws.com", BUCKET_POLICY):
        "Amazon S3 User Guide, enable-server-access-logging.html (aws:SourceArn: the source bucket)",
    ("cloudtrail.amazonaws.com", BUCKET_POLICY):
        "AWS CloudTrail User Guide, create-s3-bucket-policy-for-cloudtrail.html (aws:SourceArn: the trail)",
}
"""(service principal, type of the resource holding the document) -> the AWS documentation saying the service sets
aws:SourceArn there: those statements must name the source resource as well as the account."""

POD_IDENTITY_SESSION_TAGS = ("aws:RequestTag/eks-cluster-name", "aws:RequestTag/kubernetes-namespace",
                             "aws:RequestTag/kubernetes-service-account")
"""Session tags EKS Pod Identity sets on every assume (Amazon EKS User Guide, pod-id-abac.html#pod-id-abac-tags)."""

_REGIONAL_SERVICE = re.compile(r"^([a-z0-9-]+)\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com$")


def service_principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if not isinstance(principal, dict):
        return []
    return [str(service) for service in as_list(principal.get("Service", []))]


def condition_keys(statement: dict[str, Any]) -> set[str]:
    """The condition keys of a statement, lower-cased (IAM condition keys are case-insensitive)."""
    return {key.lower() for block in statement.get("Condition", {}).values() for key in block}


def confused_deputy_problems(document: PolicyDocument) -> list[str]:
    """Every Allow to a service principal names the source account (and the source resource where the service
    supports it), unless the allowlist above says why the service cannot."""
    problems = []
    for statement in document.statements():
        if statement.get("Effect") != "Allow":
            continue
        keys = condition_keys(statement)
        for service in service_principals(statement):
            family = _REGIONAL_SERVICE.sub(r"\1.<region>.amazonaws.com", service)
            if (family, document.type) not in SOURCE_ACCOUNT_NOT_SUPPORTED and "aws:sourceaccount" not in keys:
                problems.append(f"{document.where}: Allow to {service} without aws:SourceAccount")
            if (family, document.type) in SOURCE_ARN_SUPPORTED and "aws:sourcearn" not in keys:
                problems.append(f"{document.where}: Allow to {service} without aws:SourceArn "
                                f"({SOURCE_ARN_SUPPORTED[(family, document.type)]})")
            if service == POD_IDENTITY_SERVICE:
                missing = [tag for tag in POD_IDENTITY_SESSION_TAGS if tag.lower() not in keys]
                if missing:
                    problems.append(f"{document.where}: Pod Identity trust not scoped by {missing}")
    return problems


def _denies_plain_transport(statement: dict[str, Any]) -> bool:
    principal = statement.get("Principal")
    everyone = principal == "*" or (isinstance(principal, dict) and as_list(principal.get("AWS")) == ["*"])
    secure = statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
    return statement.get("Effect") == "Deny" and everyone and str(secure).lower() == "false"


def insecure_transport_problems(document: PolicyDocument) -> list[str]:
    """An SNS topic or SQS queue policy denies, to everyone, every action it allows when the request is not TLS
    (`aws:SecureTransport` false: Amazon SNS security best practices, sns-security-best-practices.html#enforce-
    encryption-data-in-transit; Amazon SQS, sqs-security-best-practices.html#enforce-encryption-data-in-transit)."""
    if document.type not in TRANSPORT_POLICY_TYPES:
        return []
    denies = [statement for statement in document.statements() if _denies_plain_transport(statement)]
    if not denies:
        return [f"{document.where}: no Deny of requests with aws:SecureTransport false"]
    denied = [str(action).lower() for statement in denies for action in as_list(statement.get("Action", []))]
    allowed = {str(action).lower() for statement in document.statements() if statement.get("Effect") == "Allow"
               for action in as_list(statement.get("Action", []))}
    uncovered = sorted(action for action in allowed
                       if not any(fnmatch.fnmatchcase(action, pattern) for pattern in denied))
    return [f"{document.where}: plain-HTTP requests not denied for {uncovered}"] if uncovered else []


def topics_and_queues_without_policy(graph: ResourceGraph) -> list[str]:
    """SNS topics and SQS queues that no topic or queue policy guards: they have no Deny of plain HTTP at all."""
    queues = {policy.inputs.get("queueUrl") for policy in graph.of_type("aws:sqs/queuePolicy:QueuePolicy")}
    topics = {policy.inputs.get("arn") for policy in graph.of_type("aws:sns/topicPolicy:TopicPolicy")}
    return ([f"{r.name} ({r.type}): no queue policy" for r in graph.of_type("aws:sqs/queue:Queue")
             if r.outputs.get("url") not in queues]
            + [f"{r.name} ({r.type}): no topic policy" for r in graph.of_type("aws:sns/topic:Topic")
               if r.outputs.get("arn") not in topics])


def iam_contract_problems(graph: ResourceGraph) -> list[str]:
    """Every IAM contract of a planned graph that needs no linter, one line per problem: confused-deputy keys,
    Pod Identity scoping, TLS-only topics and queues, PassRole held to named roles and one service."""
    problems = topics_and_queues_without_policy(graph)
    for document in policy_documents(graph):
        problems += confused_deputy_problems(document) + insecure_transport_problems(document)
        if document.kind == "identity":
            problems += passrole_problems(document)
    return problems
