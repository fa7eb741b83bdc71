"""Automated backups are kept for at least 7 days; DynamoDB tables have point-in-time recovery (35 days)."""

from collections.abc import Iterator, Mapping
from typing import Any

from .. import tokens
from ..model import StackContext
from ..props import dig, number, truthy

MIN_DAYS = 7


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if type_ in tokens.DYNAMODB_TABLE:
        if not truthy(dig(props, "pointInTimeRecovery.enabled")):
            yield "pointInTimeRecovery.enabled must be true (DynamoDB keeps no backups by default)"
        return
    if props.get("replicateSourceDb"):
        return
    days = number(props.get("backupRetentionPeriod"))
    if days is None or days < MIN_DAYS:
        yield f"backupRetentionPeriod must be >= {MIN_DAYS} days (got {props.get('backupRetentionPeriod')})"
