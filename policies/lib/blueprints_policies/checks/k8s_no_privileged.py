"""Containers are not privileged (neither `privileged` nor a Windows HostProcess container, which runs as the node)
and cannot escalate privileges."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s import each_container, is_patch, pod_spec
from ..model import StackContext
from ..props import dig


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    pod_host_process = dig(pod_spec(type_, props), "securityContext.windowsOptions.hostProcess")
    for label, container in each_container(type_, props):
        if dig(container, "securityContext.privileged") is True:
            yield f"{label}: securityContext.privileged must be false"
        if dig(container, "securityContext.windowsOptions.hostProcess", pod_host_process) is True:
            yield f"{label}: securityContext.windowsOptions.hostProcess must be false (it runs as the node)"
        if is_patch(type_) and dig(container, "securityContext.allowPrivilegeEscalation") is None:
            continue
        if dig(container, "securityContext.allowPrivilegeEscalation") is not False:
            yield f"{label}: securityContext.allowPrivilegeEscalation must be false"
