"""Containers run as a non-root user (runAsNonRoot true at pod or container level, runAsUser not 0)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s import each_container, is_patch, pod_spec
from ..model import StackContext
from ..props import dig, number


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    pod = dig(pod_spec(type_, props), "securityContext", {}) or {}
    for label, container in each_container(type_, props):
        own = container.get("securityContext") or {}
        non_root = own.get("runAsNonRoot", pod.get("runAsNonRoot"))
        user = number(own.get("runAsUser", pod.get("runAsUser")))
        if is_patch(type_) and non_root is None and user != 0:
            continue
        if non_root is not True or user == 0:
            yield f"{label}: securityContext.runAsNonRoot must be true (and runAsUser not 0)"
