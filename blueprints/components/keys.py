"""KMS customer-managed keys, one per data class, with rotation and key policies that name their users."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from blueprints.components.iam import allow
from blueprints.naming import Namer

DataClass = Literal["cluster", "logs", "artifacts", "data", "secrets", "audit"]
DATA_CLASSES: tuple[DataClass, ...] = ("cluster", "logs", "artifacts", "data", "secrets", "audit")

ASG_SERVICE_LINKED_ROLE = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
"""EC2 Auto Scaling's service-linked role: it launches the managed node groups' instances."""
EBS_USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
LOGS_USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext"]
"""The cryptographic operations CloudWatch Logs performs (each takes the aws:logs:arn encryption context)."""

# KMS operations a grant hands out: read-only use, or read-write use of a data key (S3 SSE-KMS, Secrets Manager).
DECRYPT_OPERATIONS = ("Decrypt", "DescribeKey")
ENCRYPT_DECRYPT_OPERATIONS = ("Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey", "ReEncryptFrom", "ReEncryptTo")


class KeyRing(pulumi.ComponentResource):
    """One CMK per data class in one region. `arn(data_class)` is what other components encrypt with."""

    def __init__(self, name: str, namer: Namer, account_id: pulumi.Input[str], *, enabled: bool, trail: bool,
                 volume_creators: Mapping[DataClass, Sequence[str]], opts: pulumi.ResourceOptions,
                 data_classes: Sequence[DataClass] = DATA_CLASSES, aliases: bool = True):
        """`enabled`: false (secrets.customer_managed_keys) creates no key, and `arn()` is None: each service then
        uses its AWS-managed key. `trail`: this region's audit key encrypts the (multi-region) CloudTrail trail.
        `volume_creators`: per data class, names of the roles that create EBS volumes encrypted with its key through
        EC2 (Karpenter's CreateFleet, the EBS CSI driver), besides EC2 Auto Scaling for the cluster key.
        `data_classes`: the classes that get a key (a platform without a cluster encrypts only logs and secrets);
        `aliases`: an `alias/<prefix>-<class>` name for each key."""
        super().__init__("blueprints:security:KeyRing", name, None, opts)
        self._keys: dict[DataClass, aws.kms.Key] = {}
        if not enabled:
            self.register_outputs({})
            return
        users = {data_class: volume_statements(account_id, namer.region, volume_creators.get(data_class, []),
                                               node_groups=data_class == "cluster") for data_class in DATA_CLASSES}
        users["logs"] += logs_statements(account_id, namer.region)
        users["audit"] += trail_statements(account_id) if trail else []
        for data_class in data_classes:
            key = aws.kms.Key(
                namer("kms", data_class),
                description=f"{namer.prefix} {data_class} encryption",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=key_policy(account_id, users[data_class]),
                opts=pulumi.ResourceOptions(parent=self),
            )
            if aliases:
                aws.kms.Alias(
                    namer("kms", data_class),
                    name=f"alias/{namer.prefix}-{data_class}",
                    target_key_id=key.key_id,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            self._keys[data_class] = key
        self.register_outputs({f"{c}_key_arn": k.arn for c, k in self._keys.items()})

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def arn(self, data_class: DataClass) -> pulumi.Output[str] | None:
        """The key of a data class; None without customer-managed keys (the service's AWS-managed key then: pass
        None as the resource's key input, which leaves it unset)."""
        key = self._keys.get(data_class)
        return key.arn if key is not None else None

    def grant_decrypt(self, data_class: DataClass, name: str, role_arn: pulumi.Input[str]) -> aws.kms.Grant | None:
        """Let one role decrypt with a key: the key's grants then name every workload that uses it. None without
        customer-managed keys: an AWS-managed key admits every principal of the account through its service."""
        return self._grant(data_class, name, role_arn, DECRYPT_OPERATIONS)

    def grant_encrypt_decrypt(self, data_class: DataClass, name: str,
                              role_arn: pulumi.Input[str]) -> aws.kms.Grant | None:
        """Let one role encrypt and decrypt with a key (writers of KMS-encrypted objects and secrets)."""
        return self._grant(data_class, name, role_arn, ENCRYPT_DECRYPT_OPERATIONS)

    def key_statements(self, actions: Sequence[str], data_classes: Sequence[DataClass], sid: str | None = None,
                       **condition: Any) -> list[dict[str, Any]]:
        """IAM statements allowing `actions` on the keys of `data_classes` (none without customer-managed keys,
        whose AWS-managed keys need no identity permission)."""
        keys = [self._keys[c].arn for c in data_classes if c in self._keys]
        return [allow(actions, keys, sid, **condition)] if keys else []

    def _grant(self, data_class: DataClass, name: str, role_arn: pulumi.Input[str],
               operations: tuple[str, ...]) -> aws.kms.Grant | None:
        if data_class not in self._keys:
            return None
        return aws.kms.Grant(
            name, name=name, key_id=self._keys[data_class].key_id, grantee_principal=role_arn,
            operations=list(operations), opts=pulumi.ResourceOptions(parent=self),
        )


def key_policy(account_id: pulumi.Input[str], users: Sequence[dict]) -> pulumi.Output[str]:
    """The account administers the key (and may delegate its use through IAM); `users` are the statements for the
    AWS services and service-linked roles that use the key on the account's behalf."""
    administration = {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", account_id, ":root")},
        "Action": "kms:*",
        # A key policy's Resource is always "*": it means "this key".
        "Resource": "*",
    }
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [administration, *users]})


def volume_statements(account_id: pulumi.Input[str], region: str, roles: Sequence[str],
                      node_groups: bool) -> list[dict]:
    """EBS volumes: EC2 Auto Scaling's service-linked role (managed node groups, when `node_groups`) and each role
    that creates volumes through EC2 (Karpenter's CreateFleet, the EBS CSI driver) use the key and create grants for
    the EC2 resources (EC2 Auto Scaling User Guide, key-policy-requirements-EBS-encryption.html; Karpenter v1.14
    troubleshooting, "Node terminates before ready on failed encrypted EBS volume"; aws-ebs-csi-driver
    docs/install.md). Principal "*" is held to one role by aws:PrincipalArn and to the account by kms:CallerAccount,
    so the policy is valid before the roles exist (KMS rejects policies naming absent roles)."""
    statements = (_launcher_statements("AutoScaling", account_id, pulumi.Output.concat(
        "arn:aws:iam::", account_id, ":", ASG_SERVICE_LINKED_ROLE), via=None) if node_groups else [])
    for index, name in enumerate(roles):
        statements += _launcher_statements(
            f"VolumeCreator{index}", account_id, pulumi.Output.concat("arn:aws:iam::", account_id, ":role/", name),
            via=f"ec2.{region}.amazonaws.com")
    return statements


def _launcher_statements(sid: str, account_id: pulumi.Input[str], role_arn: pulumi.Input[str],
                         via: str | None) -> list[dict]:
    caller = {"kms:CallerAccount": account_id, **({"kms:ViaService": via} if via else {})}
    scope = {"StringEquals": caller, "ArnEquals": {"aws:PrincipalArn": role_arn}}
    return [
        {"Sid": f"{sid}NodeVolumes", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": EBS_USE,
         "Resource": "*", "Condition": scope},
        {"Sid": f"{sid}NodeVolumeGrants", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:CreateGrant",
         "Resource": "*", "Condition": {**scope, "Bool": {"kms:GrantIsForAWSResource": "true"}}},
    ]


def logs_statements(account_id: pulumi.Input[str], region: str) -> list[dict]:
    """CloudWatch Logs encrypts this region's log groups of the account, and nothing else: the key policy AWS
    documents binds the service by the kms:EncryptionContext:aws:logs:arn condition alone (CloudWatch Logs User
    Guide, encrypt-log-data-kms.html; StringLike, as the key is string-typed), which names this account and
    region; aws:SourceAccount is not documented for these calls, so it is left out rather than risk refusing every
    log write. DescribeKey carries no encryption context, so it has its own statement."""
    service = {"Service": f"logs.{region}.amazonaws.com"}
    log_groups = pulumi.Output.concat("arn:aws:logs:", region, ":", account_id, ":log-group:*")
    return [
        {"Sid": "LogGroupsEncrypt", "Effect": "Allow", "Principal": service, "Action": LOGS_USE, "Resource": "*",
         "Condition": {"StringLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}}},
        {"Sid": "LogsDescribeKey", "Effect": "Allow", "Principal": service, "Action": "kms:DescribeKey",
         "Resource": "*"},
    ]


def trail_statements(account_id: pulumi.Input[str]) -> list[dict]:
    """CloudTrail encrypts the account's trails' log files and checks the key (CloudTrail User Guide,
    create-kms-key-policy-for-cloudtrail.html)."""
    service, source = {"Service": "cloudtrail.amazonaws.com"}, {"aws:SourceAccount": account_id}
    return [
        {"Sid": "CloudTrailEncrypts", "Effect": "Allow", "Principal": service, "Action": "kms:GenerateDataKey",
         "Resource": "*", "Condition": {"StringEquals": source, "StringLike": {
             "kms:EncryptionContext:aws:cloudtrail:arn": pulumi.Output.concat(
                 "arn:aws:cloudtrail:*:", account_id, ":trail/*")}}},
        {"Sid": "CloudTrailDescribes", "Effect": "Allow", "Principal": service, "Action": "kms:DescribeKey",
         "Resource": "*", "Condition": {"StringEquals": source}},
    ]
