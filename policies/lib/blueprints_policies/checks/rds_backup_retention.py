"""Automated backups are kept for at least 7 days."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import number

MIN_DAYS = 7


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if props.get("replicateSourceDb"):
        return
    days = number(props.get("backupRetentionPeriod"))
    if days is None or days < MIN_DAYS:
        yield f"backupRetentionPeriod must be >= {MIN_DAYS} days (got {props.get('backupRetentionPeriod')})"
