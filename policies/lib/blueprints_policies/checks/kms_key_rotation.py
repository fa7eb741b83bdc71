"""Symmetric customer-managed KMS keys rotate automatically."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import truthy


def _symmetric(props: Mapping[str, Any]) -> bool:
    return props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if _symmetric(props) and not truthy(props.get("enableKeyRotation")):
        yield "enableKeyRotation must be true"


def remediate(type_: str, props: Mapping[str, Any], ctx: StackContext) -> dict[str, Any] | None:
    return {**props, "enableKeyRotation": True} if _symmetric(props) else None
