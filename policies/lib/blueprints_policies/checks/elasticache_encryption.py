"""ElastiCache replication groups encrypt at rest and in transit."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import truthy


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    for field in ("atRestEncryptionEnabled", "transitEncryptionEnabled"):
        if not truthy(props.get(field)):
            yield f"{field} must be true"
    if props.get("transitEncryptionMode") == "preferred":
        yield "transitEncryptionMode must be 'required' (got 'preferred', which admits plaintext clients)"
