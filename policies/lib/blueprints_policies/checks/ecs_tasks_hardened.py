"""ECS tasks get no node-level power and no public address: no container is privileged, runs as root, adds
capabilities beyond NET_BIND_SERVICE or shares the host's network, PID or IPC namespace (task definition), and
no service gives its tasks public IPs (they sit behind the load balancer)."""

from collections.abc import Iterator, Mapping
from typing import Any

from .. import tokens
from ..model import StackContext
from ..props import dig, items, json_object, truthy
from .k8s_capabilities_restricted import ALLOWED, capability

ROOT_USERS = ("root", "0")
HOST_MODES = ("networkMode", "pidMode", "ipcMode")


def _task_problems(props: Mapping[str, Any]) -> Iterator[str]:
    for mode in HOST_MODES:
        if props.get(mode) == "host":
            yield f"{mode} 'host' shares the instance's namespace with the task"
    for container in items(json_object(props.get("containerDefinitions"))):
        label = f"container {container.get('name', '?')!r}"
        if truthy(container.get("privileged")):
            yield f"{label}: privileged must be false"
        if str(container.get("user", "")).split(":", 1)[0] in ROOT_USERS:
            yield f"{label}: user {container.get('user')!r} is root"
        added = {capability(c) for c in items(dig(container, "linuxParameters.capabilities.add"))} - ALLOWED
        if added:
            yield f"{label}: linuxParameters.capabilities.add {sorted(added)} not allowed"


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if type_ in tokens.ECS_SERVICE:
        if truthy(dig(props, "networkConfiguration.assignPublicIp")):
            yield "networkConfiguration.assignPublicIp must be false (tasks sit behind the load balancer)"
        return
    yield from _task_problems(props)
