"""Namespaces enforce a Pod Security Standard (label pod-security.kubernetes.io/enforce baseline or
restricted); `privileged` needs a suppression with a reason."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import dig

LABEL = "pod-security.kubernetes.io/enforce"
ALLOWED = ("baseline", "restricted")


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    level = (dig(props, "metadata.labels", {}) or {}).get(LABEL)
    if level not in ALLOWED:
        yield f"metadata.labels['{LABEL}'] must be one of {list(ALLOWED)} (got {level!r})"
