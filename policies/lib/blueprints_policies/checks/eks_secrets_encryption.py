"""EKS envelope-encrypts Kubernetes Secrets with a KMS key."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import dig, items


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    config = props.get("encryptionConfig") or {}
    if "secrets" not in items(config.get("resources")) or not dig(config, "provider.keyArn"):
        yield "encryptionConfig must list resources ['secrets'] with provider.keyArn set"
