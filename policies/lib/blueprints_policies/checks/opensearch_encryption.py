"""OpenSearch domains encrypt at rest, between nodes, and enforce HTTPS."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import dig, truthy

REQUIRED = ("encryptAtRest.enabled", "nodeToNodeEncryption.enabled", "domainEndpointOptions.enforceHttps")


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    for path in REQUIRED:
        if not truthy(dig(props, path)):
            yield f"{path} must be true"
