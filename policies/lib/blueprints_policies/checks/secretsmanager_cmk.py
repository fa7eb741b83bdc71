"""Secrets Manager secrets are encrypted with a customer-managed KMS key, not the AWS-managed default."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if not props.get("kmsKeyId"):
        yield "kmsKeyId must name a customer-managed KMS key"
