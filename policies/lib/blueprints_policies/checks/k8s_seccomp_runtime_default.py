"""Pods run under the RuntimeDefault (or a Localhost) seccomp profile."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s import each_container, is_patch, pod_spec
from ..model import StackContext
from ..props import dig

ALLOWED = ("RuntimeDefault", "Localhost")


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if is_patch(type_):
        return  # a patch restates only what it changes
    pod_profile = dig(pod_spec(type_, props), "securityContext.seccompProfile.type")
    for label, container in each_container(type_, props):
        profile = dig(container, "securityContext.seccompProfile.type", pod_profile)
        if profile not in ALLOWED:
            yield f"{label}: securityContext.seccompProfile.type must be one of {list(ALLOWED)} (got {profile!r})"
