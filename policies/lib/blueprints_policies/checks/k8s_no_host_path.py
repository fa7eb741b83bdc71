"""Pods mount no hostPath volumes (use emptyDir with medium Memory for /dev/shm)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s import pod_spec
from ..model import StackContext
from ..props import items


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    for volume in items(pod_spec(type_, props).get("volumes")):
        if "hostPath" in volume:
            yield (f"volume {volume.get('name', '?')!r} is a hostPath; use an emptyDir "
                   "(medium: Memory for /dev/shm) or a PersistentVolumeClaim")
