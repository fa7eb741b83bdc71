"""EKS control-plane logs (api, audit, authenticator) go to CloudWatch."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import items

REQUIRED = ("api", "audit", "authenticator")


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    enabled = set(items(props.get("enabledClusterLogTypes")))
    missing = [t for t in REQUIRED if t not in enabled]
    if missing:
        yield f"enabledClusterLogTypes must include {missing}"


def remediate(type_: str, props: Mapping[str, Any], ctx: StackContext) -> dict[str, Any] | None:
    enabled = list(items(props.get("enabledClusterLogTypes")))
    return {**props, "enabledClusterLogTypes": enabled + [t for t in REQUIRED if t not in enabled]}
