"""No database is publicly accessible."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import truthy


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if truthy(props.get("publiclyAccessible")):
        yield "publiclyAccessible must be false"
