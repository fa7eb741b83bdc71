"""Log groups keep at least a year of history (PCI DSS 10.5.1; covers the EU AI Act's six months)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import number

MIN_DAYS = 365


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    days = number(props.get("retentionInDays"))
    if days is not None and 0 < days < MIN_DAYS:
        yield f"retentionInDays must be >= {MIN_DAYS} (got {days:g})"
