"""Pods do not share the node's network, PID or IPC namespace, and no container binds a port on the node
(`hostPort` publishes the pod on the node's address, past Services and NetworkPolicies)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s import each_container, pod_spec
from ..model import StackContext
from ..props import items

FIELDS = ("hostNetwork", "hostPID", "hostIPC")


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    spec = pod_spec(type_, props)
    for field in FIELDS:
        if spec.get(field) is True:
            yield f"spec.{field} must be false"
    for label, container in each_container(type_, props):
        bound = [p.get("hostPort") for p in items(container.get("ports")) if p.get("hostPort")]
        if bound:
            yield f"{label}: ports[].hostPort {bound} binds the node's address; use a Service"
