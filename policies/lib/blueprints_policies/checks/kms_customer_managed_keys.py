"""Every input through which a resource encrypts names one of the stack's own KMS keys (by ARN, id or alias):
no resource falls back to its service's AWS-managed key, and a stack that turned customer-managed keys off
(secrets.customer_managed_keys: false) fails once per resource."""

from collections.abc import Iterator, Sequence
from typing import Any

from .. import tokens
from ..model import Finding, Res, StackContext
from ..props import dig, items

KEY_FIELDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (tokens.EKS_CLUSTER, "encryptionConfig.provider.keyArn"),
    (tokens.SECRET, "kmsKeyId"),
    (tokens.LOG_GROUP, "kmsKeyId"),
    (tokens.SNS_TOPIC, "kmsMasterKeyId"),
    (tokens.SQS_QUEUE, "kmsMasterKeyId"),
    (tokens.DYNAMODB_TABLE, "serverSideEncryption.kmsKeyArn"),
    (tokens.RDS_CLUSTER + tokens.RDS_INSTANCE, "kmsKeyId"),
    (tokens.ELASTICACHE_REPLICATION_GROUP, "kmsKeyId"),
    (tokens.LAUNCH_TEMPLATE, "blockDeviceMappings[].ebs.kmsKeyId"),
    (tokens.KARPENTER_NODECLASS, "spec.blockDeviceMappings[].ebs.kmsKeyID"),
    (tokens.CLOUDTRAIL, "kmsKeyId"),
    (tokens.ECR_REPOSITORY, "encryptionConfigurations[].kmsKey"),
    (tokens.SSM_PARAMETER, "keyId"),
)
"""(resource types, the input naming the key; `[]` walks a list)."""
PULL_THROUGH_PREFIX = "ecr-pullthroughcache/"
"""Upstream-registry credentials of ECR pull-through cache rules (the name prefix ECR requires)."""


def _values(props: Any, path: str) -> list[Any]:
    head, _, rest = path.partition("[].")
    if not rest:
        return [dig(props, path)]
    return [value for element in items(dig(props, head)) for value in _values(element, rest)]


def _applies(res: Res) -> bool:
    if res.type in tokens.SQS_QUEUE and res.props.get("sqsManagedSseEnabled"):
        return False  # SQS-managed SSE: stated exception.
    if res.type in tokens.SSM_PARAMETER and res.props.get("type") != "SecureString":
        return False
    if res.type in tokens.SECRET and str(res.props.get("name", "")).startswith(PULL_THROUGH_PREFIX):
        return False  # Read by ECR's pull-through service-linked role: stated exception.
    if res.type in tokens.LAUNCH_TEMPLATE:
        return any("ebs" in m for m in items(res.props.get("blockDeviceMappings")))
    return True


def _stack_keys(resources: Sequence[Res]) -> set[str]:
    names: set[str] = set()
    for res in resources:
        if res.type in tokens.KMS_KEY:
            names |= {str(res.props[k]) for k in ("arn", "keyId", "id") if res.props.get(k)}
    for res in resources:
        if res.type in tokens.KMS_ALIAS and str(res.props.get("targetKeyId")) in names:
            names |= {str(res.props[k]) for k in ("name", "arn") if res.props.get(k)}
    return names


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    keys = _stack_keys(resources)
    for res in resources:
        for types, path in KEY_FIELDS:
            if res.type not in types or not _applies(res):
                continue
            for value in _values(res.props, path):
                if not value or str(value) not in keys:
                    shown = f"{value!r}" if value else "nothing (the service's AWS-managed key)"
                    yield Finding(f"{res.type.rsplit(':', 1)[-1]} {res.name!r} encrypts with {shown} at {path}: "
                                  "name one of the stack's customer-managed KMS keys "
                                  "(secrets.customer_managed_keys: true)", res.urn)
