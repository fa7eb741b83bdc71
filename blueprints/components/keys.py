"""KMS customer-managed keys, one per data class, with rotation and key policies that name their users."""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_aws as aws

from blueprints.naming import Namer

DataClass = Literal["cluster", "logs", "artifacts", "data", "secrets", "audit"]
DATA_CLASSES: tuple[DataClass, ...] = ("cluster", "logs", "artifacts", "data", "secrets", "audit")

# AWS services that encrypt with a key of each class on the account's behalf (through kms:ViaService or a
# service principal in the key policy).
_SERVICE_PRINCIPALS: dict[DataClass, list[str]] = {
    "logs": ["logs.{region}.amazonaws.com", "delivery.logs.amazonaws.com"],
    "audit": ["cloudtrail.amazonaws.com"],
    "cluster": [],
    "artifacts": [],
    "data": [],
    "secrets": [],
}

# KMS operations a grant hands out: read-only use, or read-write use of a data key (S3 SSE-KMS, Secrets Manager).
DECRYPT_OPERATIONS = ("Decrypt", "DescribeKey")
ENCRYPT_DECRYPT_OPERATIONS = ("Decrypt", "DescribeKey", "Encrypt", "GenerateDataKey", "ReEncryptFrom", "ReEncryptTo")


class KeyRing(pulumi.ComponentResource):
    """One CMK per data class in one region. `arn(data_class)` is what other components encrypt with."""

    def __init__(self, name: str, namer: Namer, account_id: pulumi.Input[str], opts: pulumi.ResourceOptions):
        super().__init__("blueprints:security:KeyRing", name, None, opts)
        self._keys: dict[DataClass, aws.kms.Key] = {}
        for data_class in DATA_CLASSES:
            key = aws.kms.Key(
                namer("kms", data_class),
                description=f"{namer.prefix} {data_class} encryption",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=_key_policy(account_id, namer.region, _SERVICE_PRINCIPALS[data_class]),
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.kms.Alias(
                namer("kms", data_class),
                name=f"alias/{namer.prefix}-{data_class}",
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self._keys[data_class] = key
        self.register_outputs({f"{c}_key_arn": k.arn for c, k in self._keys.items()})

    def arn(self, data_class: DataClass) -> pulumi.Output[str]:
        return self._keys[data_class].arn

    def grant_decrypt(self, data_class: DataClass, name: str, role_arn: pulumi.Input[str]) -> aws.kms.Grant:
        """Let one role decrypt with a key: the key's grants then name every workload that uses it."""
        return self._grant(data_class, name, role_arn, DECRYPT_OPERATIONS)

    def grant_encrypt_decrypt(self, data_class: DataClass, name: str, role_arn: pulumi.Input[str]) -> aws.kms.Grant:
        """Let one role encrypt and decrypt with a key (writers of KMS-encrypted objects and secrets)."""
        return self._grant(data_class, name, role_arn, ENCRYPT_DECRYPT_OPERATIONS)

    def _grant(self, data_class: DataClass, name: str, role_arn: pulumi.Input[str],
               operations: tuple[str, ...]) -> aws.kms.Grant:
        return aws.kms.Grant(
            name, name=name, key_id=self._keys[data_class].key_id, grantee_principal=role_arn,
            operations=list(operations), opts=pulumi.ResourceOptions(parent=self),
        )


def _key_policy(account_id: pulumi.Input[str], region: str, services: list[str]) -> pulumi.Output[str]:
    statements: list[dict] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", account_id, ":root")},
            "Action": "kms:*",
            # A key policy's Resource is always "*": it means "this key".
            "Resource": "*",
        }
    ]
    if services:
        statements.append(
            {
                "Sid": "ServicesEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": [service.format(region=region) for service in services]},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})
