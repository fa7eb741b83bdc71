"""CloudTrail log-file integrity validation is on."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import truthy


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if not truthy(props.get("enableLogFileValidation")):
        yield "enableLogFileValidation must be true"


def remediate(type_: str, props: Mapping[str, Any], ctx: StackContext) -> dict[str, Any] | None:
    return {**props, "enableLogFileValidation": True}
