"""RDS instances, Aurora clusters and Aurora global databases encrypt storage (the API default is unencrypted)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import truthy


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if props.get("replicateSourceDb"):
        return  # a read replica inherits encryption from its source
    if not truthy(props.get("storageEncrypted")):
        yield "storageEncrypted must be true"
