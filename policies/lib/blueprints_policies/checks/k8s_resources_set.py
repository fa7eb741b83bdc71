"""Containers request CPU and memory and cap memory; GPU containers set nvidia.com/gpu in limits."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s import GPU_RESOURCE, each_container, is_patch
from ..model import StackContext
from ..props import dig


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if is_patch(type_):
        return  # a patch restates only what it changes
    for label, container in each_container(type_, props):
        requests = dig(container, "resources.requests", {}) or {}
        limits = dig(container, "resources.limits", {}) or {}
        missing = [f"requests.{k}" for k in ("cpu", "memory") if k not in requests]
        missing += ["limits.memory"] if "memory" not in limits else []
        if GPU_RESOURCE in requests and GPU_RESOURCE not in limits:
            missing.append(f"limits.{GPU_RESOURCE}")
        if missing:
            yield f"{label}: resources must set {missing}"
