"""Log groups expire their data (retentionInDays set); the default keeps logs, and personal data in them,
forever."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import number


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    days = number(props.get("retentionInDays"))
    if not days:
        yield "retentionInDays must be set (0 or unset keeps logs forever)"
