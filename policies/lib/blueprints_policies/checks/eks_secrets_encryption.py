"""EKS envelope-encrypts Kubernetes Secrets with a KMS key: the cluster's own (encryptionConfig), or, on Kubernetes
1.28 and later without one, EKS's default envelope encryption of all Kubernetes API data with an AWS-owned KMS key
(EKS User Guide, envelope-encryption.html). Whether the key must be customer-managed is kms-customer-managed-keys'
call (the regulated pack)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import dig, items

DEFAULT_ENVELOPE_FROM = (1, 28)


def _version(value: Any) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in str(value).split(".")[:2])
    except ValueError:
        return ()


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    config = props.get("encryptionConfig") or {}
    if not config and _version(props.get("version")) >= DEFAULT_ENVELOPE_FROM:
        return
    if "secrets" not in items(config.get("resources")) or not dig(config, "provider.keyArn"):
        yield ("encryptionConfig must list resources ['secrets'] with provider.keyArn set (or the cluster run "
               "Kubernetes 1.28+, which EKS envelope-encrypts by default)")
