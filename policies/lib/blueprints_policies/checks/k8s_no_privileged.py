"""Containers are not privileged and cannot escalate privileges."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s import each_container
from ..model import StackContext
from ..props import dig


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    for label, container in each_container(type_, props):
        if dig(container, "securityContext.privileged") is True:
            yield f"{label}: securityContext.privileged must be false"
        if dig(container, "securityContext.allowPrivilegeEscalation") is not False:
            yield f"{label}: securityContext.allowPrivilegeEscalation must be false"
