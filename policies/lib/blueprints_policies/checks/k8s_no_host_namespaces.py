"""Pods do not share the node's network, PID or IPC namespace."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s import pod_spec
from ..model import StackContext

FIELDS = ("hostNetwork", "hostPID", "hostIPC")


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    spec = pod_spec(type_, props)
    for field in FIELDS:
        if spec.get(field) is True:
            yield f"spec.{field} must be false"
