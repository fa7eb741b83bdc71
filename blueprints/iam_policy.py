"""IAM policy statements as plain data, shared by the components (which attach them to roles) and the generators
(which describe what a controller may do). Statements may hold pulumi Outputs as values; this module needs no
pulumi import."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Statement = dict[str, Any]


def allow(actions: Sequence[str], resources: Sequence[Any], sid: str | None = None, **condition: Any) -> Statement:
    statement: Statement = {"Effect": "Allow", "Action": sorted(actions), "Resource": list(resources)}
    if sid:
        statement["Sid"] = sid
    if condition:
        statement["Condition"] = condition
    return statement
