"""Production databases have deletion protection on."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import truthy


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if ctx.is_prod and not truthy(props.get("deletionProtection")):
        yield "deletionProtection must be true in prod"


def remediate(type_: str, props: Mapping[str, Any], ctx: StackContext) -> dict[str, Any] | None:
    return {**props, "deletionProtection": True} if ctx.is_prod else None
