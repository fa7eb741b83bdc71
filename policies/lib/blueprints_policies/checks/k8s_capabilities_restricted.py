"""Containers drop ALL Linux capabilities and add back only NET_BIND_SERVICE; GPU containers may also add
IPC_LOCK (pinned memory for RDMA/EFA and NCCL)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s import each_container, gpu_count, is_patch
from ..model import StackContext
from ..props import dig, items

ALLOWED = {"NET_BIND_SERVICE"}
GPU_ALLOWED = ALLOWED | {"IPC_LOCK"}


def capability(name: object) -> str:
    """The runtime's reading of a capability name: case-insensitive, with or without the `CAP_` prefix."""
    return str(name).upper().removeprefix("CAP_")


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    for label, container in each_container(type_, props):
        drop = {capability(c) for c in items(dig(container, "securityContext.capabilities.drop"))}
        if "ALL" not in drop and not (is_patch(type_) and not dig(container, "securityContext.capabilities")):
            yield f"{label}: securityContext.capabilities.drop must include 'ALL'"
        allowed = GPU_ALLOWED if gpu_count(container) > 0 else ALLOWED
        added = {capability(c) for c in items(dig(container, "securityContext.capabilities.add"))}
        extra = sorted(added - allowed)
        if extra:
            yield f"{label}: securityContext.capabilities.add {extra} not allowed (allowed: {sorted(allowed)})"
