"""The KMS key-usage matrix: for every customer-managed key of a planned graph, who must use it and what the key
policy, grants and (through the key policy's account statement) IAM policies let use it.

Pure functions of the recorded graph (no pulumi import); the tests and `check --contracts` share them.

Needs come from the resources that encrypt with a key, each following the AWS documentation of its service:
- EBS root volumes. A managed node group's instances are launched by EC2 Auto Scaling with its service-linked role
  (EC2 Auto Scaling User Guide, key-policy-requirements-EBS-encryption.html: the key policy must let
  AWSServiceRoleForAutoScaling use the key and create grants for AWS resources). Karpenter launches with CreateFleet
  as its controller role, so EC2 uses the key as that role (karpenter-provider-aws v1.14.1
  website/content/en/docs/troubleshooting.md, "Node terminates before ready on failed encrypted EBS volume":
  kms:ViaService ec2.<region>.amazonaws.com and kms:CallerAccount, CreateGrant included).
- CloudWatch log groups: the regional logs service principal, scoped by the encryption context
  kms:EncryptionContext:aws:logs:arn (CloudWatch Logs User Guide, encrypt-log-data-kms.html).
- CloudTrail: cloudtrail.amazonaws.com, GenerateDataKey* scoped by kms:EncryptionContext:aws:cloudtrail:arn, and
  DescribeKey (CloudTrail User Guide, create-kms-key-policy-for-cloudtrail.html).
- SNS topics and SQS queues: every principal that publishes/sends (GenerateDataKey + Decrypt) or receives (Decrypt),
  service principals of the topic/queue policy included (SNS Developer Guide, sns-key-management.html; SQS Developer
  Guide, sqs-key-management.html).
- S3 (bucket default SSE-KMS), Secrets Manager, DynamoDB, SSM SecureString parameters: the IAM roles whose
  policies read or write the data, through kms:ViaService of that service; S3 replication: the replication role
  decrypts the source and encrypts the replica.
- Encrypted EBS StorageClasses: the EBS CSI driver's controller role, as for Karpenter (aws-ebs-csi-driver
  docs/install.md).
- RDS-managed master secrets: their readers, as for a secret (RDS creates the secret itself).
- EKS secrets, OpenSearch Serverless, RDS/Aurora (storage, Performance Insights),
  ElastiCache, ECR, Lambda, AMP: the service creates its own grant with the permissions of the principal that
  creates the resource (the deployer, allowed by the account statement), so no further principal is needed.

A principal is allowed when a key-policy statement names it (directly, or through `aws:PrincipalArn` under
Principal "*"), a grant names it, or - only where the key policy delegates to the account - an identity policy of
the role allows the operations on the key. Every key-policy statement beyond the account's administration and every
grant must serve a need, and no identity policy may reach a key its role has no use for: anything else is an
over-broad extra.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from blueprints.contracts.findings import as_list
from blueprints.engine.graph import ResourceGraph, ResourceRecord

KEY_TYPE = "aws:kms/key:Key"
GRANT_TYPE = "aws:kms/grant:Grant"
ALIAS_TYPE = "aws:kms/alias:Alias"
NODE_CLASS_TYPE = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
KARPENTER_SERVICE_ACCOUNT = ("karpenter", "karpenter")
"""Namespace and service account of the Karpenter controller (components/karpenter.py; the chart's
`serviceAccount.name`), whose Pod Identity role calls CreateFleet."""
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
"""The EBS CSI driver's controller (EKS add-on aws-ebs-csi-driver), which creates the volumes of StorageClasses of
provisioner ebs.csi.aws.com (kubernetes-sigs/aws-ebs-csi-driver docs/install.md: its role needs the key's use and
kms:CreateGrant with kms:GrantIsForAWSResource for an encrypted StorageClass's kmsKeyId)."""
ASG_SERVICE_LINKED_ROLE = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"

EBS_USE = frozenset({"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                     "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"})
"""What EBS does with the key of an encrypted volume as the launching principal (ASG guide, statement 1)."""
CREATE_GRANT = frozenset({"kms:CreateGrant"})
LOGS_USE = frozenset({"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey"})
TRAIL_USE = frozenset({"kms:GenerateDataKey"})
READ = frozenset({"kms:Decrypt"})
WRITE = frozenset({"kms:GenerateDataKey", "kms:Decrypt"})

# Data actions that make the caller use the key of the data it touches, per service (the key's kms:ViaService).
DATA_ACTIONS: dict[str, list[tuple[str, frozenset[str]]]] = {
    "s3": [("s3:getobject", READ), ("s3:putobject", frozenset({"kms:GenerateDataKey"}))],
    "sqs": [("sqs:sendmessage", WRITE), ("sqs:receivemessage", READ)],
    "sns": [("sns:publish", WRITE)],
    "secretsmanager": [("secretsmanager:getsecretvalue", READ), ("secretsmanager:putsecretvalue", WRITE)],
    "dynamodb": [("dynamodb:getitem", READ), ("dynamodb:query", READ), ("dynamodb:scan", READ),
                 ("dynamodb:batchgetitem", READ), ("dynamodb:putitem", READ), ("dynamodb:updateitem", READ),
                 ("dynamodb:batchwriteitem", READ)],
    "ssm": [("ssm:getparameter", READ), ("ssm:getparameters", READ), ("ssm:getparametersbypath", READ),
            ("ssm:putparameter", frozenset({"kms:Encrypt"}))],
}

CALLER_GRANTED = {
    "aws:eks/cluster:Cluster": ("eks", ["encryptionConfig.provider.keyArn"]),
    "aws:rds/cluster:Cluster": ("rds", ["kmsKeyId", "masterUserSecretKmsKeyId"]),
    "aws:rds/clusterInstance:ClusterInstance": ("rds", ["performanceInsightsKmsKeyId"]),
    "aws:elasticache/replicationGroup:ReplicationGroup": ("elasticache", ["kmsKeyId"]),
    "aws:ecr/repository:Repository": ("ecr", ["encryptionConfigurations[].kmsKey"]),
    "aws:lambda/function:Function": ("lambda", ["kmsKeyArn"]),
    "aws:amp/workspace:Workspace": ("aps", ["kmsKeyArn"]),
    "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy": ("aoss", ["policy"]),
}
"""Services that create their own grant with the creating principal's permissions (covered by the account
statement): resource type -> (service, inputs naming the key)."""

KEY_INPUTS: dict[str, list[str]] = {
    "aws:cloudwatch/logGroup:LogGroup": ["kmsKeyId"],
    "aws:cloudtrail/trail:Trail": ["kmsKeyId"],
    "aws:ec2/launchTemplate:LaunchTemplate": ["blockDeviceMappings[].ebs.kmsKeyId"],
    NODE_CLASS_TYPE: ["spec.blockDeviceMappings[].ebs.kmsKeyID"],
    "kubernetes:storage.k8s.io/v1:StorageClass": ["parameters.kmsKeyId"],
    "aws:sns/topic:Topic": ["kmsMasterKeyId"],
    "aws:sqs/queue:Queue": ["kmsMasterKeyId"],
    "aws:secretsmanager/secret:Secret": ["kmsKeyId"],
    "aws:dynamodb/table:Table": ["serverSideEncryption.kmsKeyArn"],
    "aws:ssm/parameter:Parameter": ["keyId"],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        ["rules[].applyServerSideEncryptionByDefault.kmsMasterKeyId"],
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
        ["rules[].destination.encryptionConfiguration.replicaKmsKeyId"],
    **{kind: paths for kind, (_, paths) in CALLER_GRANTED.items()},
}
"""Every input through which a resource encrypts with a key. A key reference anywhere else is unclassified."""

NOT_ENCRYPTING = (KEY_TYPE, GRANT_TYPE, ALIAS_TYPE)
"""Types whose key references are not uses (the key itself, its grants and aliases); IAM documents are read as
policies, and Kubernetes workloads only pass a key id on to the SDK (their role's use is derived from IAM)."""


@dataclass(frozen=True)
class Need:
    """One principal that must be able to use one key for one encrypting resource."""

    key: str
    principal: str
    """A role ARN, or `service:<service principal>`."""
    operations: frozenset[str]
    resource: str
    why: str
    via: str | None = None
    """kms:ViaService the use comes through (None: a direct call)."""
    context: tuple[str, str] | None = None
    """(encryption-context condition key, the value the service sends) for service principals."""
    grant_for_aws_resource: bool = False


@dataclass(frozen=True)
class Allowance:
    """One source of permission on a key: a key-policy statement, a grant, or an identity-policy statement."""

    key: str
    source: str
    principals: frozenset[str]
    actions: tuple[str, ...]
    conditions: dict[str, dict[str, list[str]]] = field(hash=False, compare=False)
    kind: str = "policy"
    """`policy` (key policy), `grant`, or `identity` (IAM, effective only through the account statement)."""

    def allows(self, need: Need, account: str) -> bool:
        if need.principal not in self.principals:
            return False
        if not all(any(fnmatch.fnmatchcase(op.lower(), a.lower()) for a in self.actions) for op in need.operations):
            return False
        keys = [key.lower() for block in self.conditions.values() for key in block]
        if need.context and self.kind == "policy" and not any(k.startswith("kms:encryptioncontext:") for k in keys):
            return False  # A service principal must be held to the resources it encrypts for.
        return all(_condition_holds(operator, key, values, need, account)
                   for operator, block in self.conditions.items() for key, values in block.items())


@dataclass
class KeyReport:
    key: str
    name: str
    needs: list[Need]
    allowances: list[Allowance]
    missing: list[Need]
    extra: list[str]
    problems: list[str]


def _condition_holds(operator: str, key: str, values: list[str], need: Need, account: str) -> bool:
    """Whether one condition of an allowing statement holds for the request `need` describes. Unknown keys do not
    hold: a statement is credited only with what this contract understands."""
    key, op = key.lower(), operator.lower().removeprefix("forallvalues:").removeprefix("foranyvalue:")
    match_any = (lambda actual: any(fnmatch.fnmatchcase(actual, v) for v in values)) if "like" in op else (
        lambda actual: actual in values)
    if key == "kms:viaservice":
        return need.via is not None and match_any(need.via)
    if key in ("kms:calleraccount", "aws:sourceaccount"):
        return match_any(account)
    if key == "aws:principalarn":
        return match_any(need.principal)
    if key == "kms:grantisforawsresource":
        return need.grant_for_aws_resource and [v.lower() for v in values] == ["true"]
    if key.startswith("kms:encryptioncontext:"):
        return need.context is not None and need.context[0].lower() == key and match_any(need.context[1])
    return False


def _values(value: Any, path: str) -> Iterator[Any]:
    """Values at a dotted path where `name[]` walks every element of a list."""
    head, _, rest = path.partition(".")
    many = head.endswith("[]")
    child = value.get(head.removesuffix("[]")) if isinstance(value, dict) else None
    for item in (child or []) if many else [child]:
        if item is None:
            continue
        if rest:
            yield from _values(item, rest)
        else:
            yield item


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def _document(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) and "Statement" in value else None


class _Graph:
    """Lookups over one graph: keys by every name they go by, roles, identity statements, bucket ARNs."""

    def __init__(self, graph: ResourceGraph):
        self.graph = graph
        self.keys = {r.outputs["arn"]: r for r in graph.of_type(KEY_TYPE)}
        self.key_names: dict[str, str] = {}
        for arn, record in self.keys.items():
            self.key_names[arn] = arn
            self.key_names[str(record.outputs.get("keyId"))] = arn
            self.key_names[str(record.outputs.get("id"))] = arn
        for alias in graph.of_type(ALIAS_TYPE):
            target = self.key_names.get(str(alias.inputs.get("targetKeyId")))
            if target:
                self.key_names[str(alias.inputs.get("name"))] = target
        roles = graph.of_type("aws:iam/role:Role")
        self.role_arn = {str(r.outputs.get(k)): r.outputs["arn"] for r in roles for k in ("id", "name", "arn")}
        self.identity: dict[str, list[dict[str, Any]]] = {}
        for role in roles:
            for inline in as_list(role.inputs.get("inlinePolicies", [])):
                self._add_identity(role.outputs["arn"], inline.get("policy") if isinstance(inline, dict) else None)
        for policy in graph.of_type("aws:iam/rolePolicy:RolePolicy"):
            arn = self.role_arn.get(str(policy.inputs.get("role")))
            if arn:
                self._add_identity(arn, policy.inputs.get("policy"))
        managed = {r.outputs.get("arn"): r.inputs.get("policy") for r in graph.of_type("aws:iam/policy:Policy")}
        for attachment in graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
            arn = self.role_arn.get(str(attachment.inputs.get("role")))
            if arn and attachment.inputs.get("policyArn") in managed:
                self._add_identity(arn, managed[attachment.inputs["policyArn"]])
        self.bucket_arn = {str(b.outputs.get("id")): b.outputs["arn"] for b in graph.of_type("aws:s3/bucket:Bucket")}

    def _add_identity(self, role_arn: str, policy: Any) -> None:
        document = _document(policy)
        if document:
            self.identity.setdefault(role_arn, []).extend(as_list(document["Statement"]))

    def key_of(self, reference: Any) -> str | None:
        if not isinstance(reference, str):
            return None
        if reference.lstrip().startswith("{"):  # A JSON input (an encryption policy): the key it names.
            if _document(reference):  # Permissions (a bucket policy requiring a key) do not encrypt.
                return None
            try:
                return next(filter(None, map(self.key_of, _strings(json.loads(reference)))), None)
            except ValueError:
                return None
        if reference in self.key_names:
            return self.key_names[reference]
        return next((arn for name, arn in self.key_names.items() if name and reference.endswith(name)
                     and name.startswith(("alias/", "arn:"))), None)

    def accessors(self, resource_arn: str, service: str) -> dict[str, frozenset[str]]:
        """Roles whose identity policies allow data actions on `resource_arn`, and the KMS operations those need."""
        found: dict[str, frozenset[str]] = {}
        for role, statements in self.identity.items():
            for statement in statements:
                if statement.get("Effect") != "Allow" or not any(
                        _covers(str(r), resource_arn) for r in as_list(statement.get("Resource", []))):
                    continue
                actions = [str(a).lower() for a in as_list(statement.get("Action", []))]
                for action, operations in DATA_ACTIONS[service]:
                    if any(fnmatch.fnmatchcase(action, pattern) for pattern in actions):
                        found[role] = found.get(role, frozenset()) | operations
        return found

    def resource_policy_services(self, policy_type: str, target_input: str, target: str, action: str) -> list[str]:
        """Service principals a topic/queue policy lets perform `action`."""
        services = []
        for record in self.graph.of_type(policy_type):
            if record.inputs.get(target_input) != target:
                continue
            document = _document(record.inputs.get("policy")) or {"Statement": []}
            for statement in as_list(document["Statement"]):
                principal = statement.get("Principal")
                actions = [str(a).lower() for a in as_list(statement.get("Action", []))]
                if (statement.get("Effect") == "Allow" and isinstance(principal, dict)
                        and any(fnmatch.fnmatchcase(action, a) for a in actions)):
                    services += [str(s) for s in as_list(principal.get("Service", []))]
        return services


def _covers(pattern: str, resource_arn: str) -> bool:
    """Whether an IAM Resource pattern reaches the resource; for a bucket's objects (`<bucket ARN>/`), any key
    prefix of that bucket does."""
    if resource_arn.endswith("/") and pattern.startswith(resource_arn):
        return True
    return fnmatch.fnmatchcase(resource_arn + ("x" if resource_arn.endswith("/") else ""), pattern)


def _region_account(key_arn: str) -> tuple[str, str]:
    parts = key_arn.split(":")
    return parts[3], parts[4]


def needs(graph: ResourceGraph) -> tuple[list[Need], list[str]]:
    """Every (key, principal) use the graph's encrypting resources require, and the key references this contract
    cannot classify (each one is a problem: a new encrypting resource must be taught here)."""
    g = _Graph(graph)
    found: list[Need] = []
    unclassified: list[str] = []
    karpenter = {r.region: g.role_arn.get(str(r.inputs.get("roleArn")), str(r.inputs.get("roleArn")))
                 for r in graph.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                 if (r.inputs.get("namespace"), r.inputs.get("serviceAccount")) == KARPENTER_SERVICE_ACCOUNT}
    volume_drivers = {r.region: str(a.get("roleArn")) for r in graph.of_type("aws:eks/addon:Addon")
                      for a in as_list(r.inputs.get("podIdentityAssociations") or [])
                      if isinstance(a, dict) and a.get("serviceAccount") == EBS_CSI_SERVICE_ACCOUNT}
    launchers = {"karpenter": karpenter, "ebs-csi": volume_drivers}
    node_groups = {str((r.inputs.get("launchTemplate") or {}).get("id")): r
                   for r in graph.of_type("aws:eks/nodeGroup:NodeGroup")}
    for record in graph.resources:
        if record.type in NOT_ENCRYPTING or record.type.startswith("aws:iam/") or not record.custom:
            continue
        paths = KEY_INPUTS.get(record.type)
        if paths is None:
            if record.type.startswith("aws:"):
                unclassified += [f"{record.name} ({record.type}) names key {g.key_of(s)} in an input this contract "
                                 "does not know" for s in _strings(record.inputs) if g.key_of(s)]
            continue
        for path in paths:
            for reference in _values(record.inputs, path):
                key = g.key_of(reference)
                if key is None:
                    continue
                found += _needs_of(g, record, key, path, launchers, node_groups)
    return found, unclassified


def _needs_of(g: _Graph, record: ResourceRecord, key: str, path: str,
              launchers: dict[str, dict[str | None, str]], node_groups: dict[str, ResourceRecord]) -> list[Need]:
    region, account = _region_account(key)
    arn = str(record.outputs.get("arn", ""))
    ec2 = f"ec2.{region}.amazonaws.com"
    kind = record.type
    if kind == "aws:ec2/launchTemplate:LaunchTemplate":
        group = node_groups.get(str(record.outputs.get("id")))
        if group is None:
            return []
        slr = f"arn:aws:iam::{account}:{ASG_SERVICE_LINKED_ROLE}"
        why = f"EC2 Auto Scaling launches node group {group.name} with encrypted root volumes"
        return [Need(key, slr, EBS_USE, record.name, why, via=ec2),
                Need(key, slr, CREATE_GRANT, record.name, why, via=ec2, grant_for_aws_resource=True)]
    if kind in (NODE_CLASS_TYPE, "kubernetes:storage.k8s.io/v1:StorageClass"):
        creator, why = (("karpenter", "Karpenter's CreateFleet launches nodes with encrypted root volumes")
                        if kind == NODE_CLASS_TYPE else
                        ("ebs-csi", "the EBS CSI driver creates the StorageClass's encrypted volumes"))
        role = launchers[creator].get(record.region, f"{creator} (no Pod Identity association in the graph)")
        return [Need(key, role, EBS_USE, record.name, why, via=ec2),
                Need(key, role, CREATE_GRANT, record.name, why, via=ec2, grant_for_aws_resource=True)]
    if kind == "aws:cloudwatch/logGroup:LogGroup":
        service = f"service:logs.{region}.amazonaws.com"
        return [Need(key, service, LOGS_USE, record.name, "log group encryption",
                     context=("kms:EncryptionContext:aws:logs:arn", arn)),
                Need(key, service, frozenset({"kms:DescribeKey"}), record.name, "log group key check")]
    if kind == "aws:cloudtrail/trail:Trail":
        service = "service:cloudtrail.amazonaws.com"
        return [Need(key, service, TRAIL_USE, record.name, "trail log files",
                     context=("kms:EncryptionContext:aws:cloudtrail:arn", arn)),
                Need(key, service, frozenset({"kms:DescribeKey"}), record.name, "trail key check")]
    if kind == "aws:sns/topic:Topic":
        publishers = [Need(key, f"service:{s}", WRITE, record.name, "publishes to the encrypted topic")
                      for s in g.resource_policy_services("aws:sns/topicPolicy:TopicPolicy", "arn", arn, "sns:publish")]
        return publishers + _data_needs(g, key, record.name, arn, "sns", region)
    if kind == "aws:sqs/queue:Queue":
        url = record.outputs.get("url") or record.outputs.get("id")
        senders = [Need(key, f"service:{s}", WRITE, record.name, "sends to the encrypted queue")
                   for s in g.resource_policy_services("aws:sqs/queuePolicy:QueuePolicy", "queueUrl", str(url),
                                                       "sqs:sendmessage")]
        return senders + _data_needs(g, key, record.name, arn, "sqs", region)
    if kind == "aws:secretsmanager/secret:Secret":
        return _data_needs(g, key, record.name, arn, "secretsmanager", region)
    if path == "masterUserSecretKmsKeyId":  # RDS-managed master secret: its readers use the key, as for a secret.
        return [need for secret in as_list(record.outputs.get("masterUserSecrets") or [])
                for need in _data_needs(g, key, record.name, str(secret.get("secretArn")), "secretsmanager", region)]
    if kind == "aws:dynamodb/table:Table":
        return _data_needs(g, key, record.name, arn, "dynamodb", region)
    if kind == "aws:ssm/parameter:Parameter":
        return _data_needs(g, key, record.name, arn, "ssm", region)
    if kind == "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        bucket = g.bucket_arn.get(str(record.inputs.get("bucket")), f"arn:aws:s3:::{record.inputs.get('bucket')}")
        return _data_needs(g, key, record.name, f"{bucket}/", "s3", region) + _replication_reads(
            g, key, str(record.inputs.get("bucket")), region)
    if kind == "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
        return [Need(key, str(record.inputs.get("role")), frozenset({"kms:Encrypt"}), record.name,
                     "S3 replication encrypts replicas", via=f"s3.{region}.amazonaws.com")]
    return []  # CALLER_GRANTED: the service's own grant, made with the deployer's permissions.


def _data_needs(g: _Graph, key: str, resource: str, arn: str, service: str, region: str) -> list[Need]:
    via = f"{service}.{region}.amazonaws.com"
    return [Need(key, role, operations, resource, f"{service} data access", via=via)
            for role, operations in g.accessors(arn, service).items()]


def _replication_reads(g: _Graph, key: str, bucket: str, region: str) -> list[Need]:
    return [Need(key, str(r.inputs.get("role")), READ, r.name, "S3 replication reads SSE-KMS sources",
                 via=f"s3.{region}.amazonaws.com")
            for r in g.graph.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
            if str(r.inputs.get("bucket")) == bucket]


def _statement_principals(statement: dict[str, Any], account: str) -> tuple[frozenset[str], str | None]:
    """Principals a key-policy statement names, and why it is over-broad (None when it is not)."""
    principal = statement.get("Principal")
    conditions = {k.lower(): as_list(v) for block in statement.get("Condition", {}).values() for k, v in block.items()}
    names: set[str] = set()
    if principal == "*" or (isinstance(principal, dict) and "*" in as_list(principal.get("AWS", []))):
        scoped = conditions.get("aws:principalarn")
        if not scoped:
            return frozenset(), "Principal * without aws:PrincipalArn: any principal the conditions admit"
        names.update(str(arn) for arn in scoped)
    elif isinstance(principal, dict):
        for arn in as_list(principal.get("AWS", [])):
            if str(arn) in (f"arn:aws:iam::{account}:root", account):
                return frozenset(), "the account principal outside the administration statement"
            names.add(str(arn))
        names.update(f"service:{s}" for s in as_list(principal.get("Service", [])))
    return frozenset(names), None


def _is_administration(statement: dict[str, Any], account: str) -> bool:
    principal = statement.get("Principal")
    return (statement.get("Effect") == "Allow" and isinstance(principal, dict)
            and as_list(principal.get("AWS", [])) == [f"arn:aws:iam::{account}:root"]
            and as_list(statement.get("Action")) == ["kms:*"] and not statement.get("Condition"))


def allowances(graph: ResourceGraph) -> tuple[list[Allowance], list[str]]:
    """What every key policy, grant and (where delegated) identity policy allows, and the over-broad extras."""
    g = _Graph(graph)
    found: list[Allowance] = []
    extras: list[str] = []
    delegated: set[str] = set()
    policies = {arn: record.inputs.get("policy") for arn, record in g.keys.items()}
    for record in graph.of_type("aws:kms/keyPolicy:KeyPolicy"):
        key = g.key_of(record.inputs.get("keyId"))
        if key:
            policies[key] = record.inputs.get("policy")
    for key, policy in policies.items():
        _, account = _region_account(key)
        document = _document(policy)
        if document is None:  # No policy: KMS's default key policy, the account statement alone.
            delegated.add(key)
            continue
        for index, statement in enumerate(as_list(document["Statement"])):
            where = f"{g.keys[key].name} key policy statement {statement.get('Sid', index)}"
            if statement.get("Effect") != "Allow":
                continue
            if _is_administration(statement, account):
                delegated.add(key)
                continue
            principals, broad = _statement_principals(statement, account)
            if broad:
                extras.append(f"{where}: {broad}")
            conditions = {op: {k: [str(v) for v in as_list(vals)] for k, vals in block.items()}
                          for op, block in statement.get("Condition", {}).items()}
            found.append(Allowance(key, where, principals, tuple(str(a) for a in as_list(statement.get("Action"))),
                                   conditions))
    for grant in graph.of_type(GRANT_TYPE):
        key = g.key_of(grant.inputs.get("keyId"))
        if key:
            found.append(Allowance(key, f"grant {grant.name}", frozenset({str(grant.inputs.get("granteePrincipal"))}),
                                   tuple(f"kms:{op}" for op in as_list(grant.inputs.get("operations", []))), {},
                                   kind="grant"))
    for role, statements in g.identity.items():
        for statement in statements:
            actions = [str(a) for a in as_list(statement.get("Action", [])) if str(a).lower().startswith("kms:")]
            if statement.get("Effect") != "Allow" or not actions:
                continue
            for key in delegated:
                if any(fnmatch.fnmatchcase(key, str(r)) for r in as_list(statement.get("Resource", []))):
                    conditions = {op: {k: [str(v) for v in as_list(vals)] for k, vals in block.items()}
                                  for op, block in statement.get("Condition", {}).items()}
                    found.append(Allowance(key, f"identity policy of {role}", frozenset({role}), tuple(actions),
                                           conditions, kind="identity"))
    return found, extras


def key_matrix(graph: ResourceGraph) -> list[KeyReport]:
    """Per customer-managed key: its needs, what allows them, the needs nothing allows and the extras."""
    g = _Graph(graph)
    all_needs, unclassified = needs(graph)
    all_allowances, extras = allowances(graph)
    reports = []
    for key, record in g.keys.items():
        _, account = _region_account(key)
        key_needs = [n for n in all_needs if n.key == key]
        key_allowances = [a for a in all_allowances if a.key == key]
        missing = [n for n in key_needs if not any(a.allows(n, account) for a in key_allowances)]
        needed = {n.principal for n in key_needs}
        key_extras = [e for e in extras if e.startswith(f"{record.name} ")]
        key_extras += [f"{a.source}: {sorted(a.principals - needed)} use nothing encrypted with this key"
                       for a in key_allowances if a.principals - needed]
        key_extras += [f"{a.source}: serves no need" for a in key_allowances
                       if a.kind != "identity" and a.principals and a.principals <= needed
                       and not any(a.allows(n, account) for n in key_needs if n.principal in a.principals)]
        problems = [p for p in unclassified if f"names key {key} " in p]
        reports.append(KeyReport(key, record.name, key_needs, key_allowances, missing, key_extras, problems))
    return reports


def kms_problems(graph: ResourceGraph) -> list[str]:
    """One line per missing key user, over-broad permission or unclassified key reference."""
    problems = []
    for report in key_matrix(graph):
        for need in report.missing:
            via = f" via {need.via}" if need.via else ""
            problems.append(f"{report.name}: {need.principal} cannot {sorted(need.operations)}{via} "
                            f"({need.why}: {need.resource})")
        problems += [f"{report.name}: over-broad: {extra}" for extra in report.extra]
        problems += report.problems
    return problems
