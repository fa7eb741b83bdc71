"""Pods mount no hostPath volumes (use emptyDir with medium Memory for /dev/shm), and no PersistentVolume is a
hostPath or local node directory (a claim on it hands the node filesystem to whichever pod mounts it)."""

from collections.abc import Iterator, Mapping
from typing import Any

from .. import tokens
from ..k8s import pod_spec
from ..model import StackContext
from ..props import dig, items


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if type_ in tokens.K8S_PERSISTENT_VOLUME:
        if dig(props, "spec.hostPath") is not None:
            yield f"PersistentVolume spec.hostPath {dig(props, 'spec.hostPath.path')!r} exposes the node filesystem"
        return
    for volume in items(pod_spec(type_, props).get("volumes")):
        if "hostPath" in volume:
            yield (f"volume {volume.get('name', '?')!r} is a hostPath; use an emptyDir "
                   "(medium: Memory for /dev/shm) or a PersistentVolumeClaim")
