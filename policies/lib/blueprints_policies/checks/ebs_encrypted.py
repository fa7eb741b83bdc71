"""EBS volumes are encrypted: standalone volumes, launch-template and instance block devices, and
Karpenter EC2NodeClass block devices."""

from collections.abc import Iterator, Mapping
from typing import Any

from .. import tokens
from ..model import StackContext
from ..props import dig, items, truthy


def _devices(type_: str, props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(field path, ebs settings) for each EBS device the resource defines."""
    if type_ in tokens.EBS_VOLUME:
        yield "encrypted", props
    elif type_ in tokens.LAUNCH_TEMPLATE:
        for i, mapping in enumerate(items(props.get("blockDeviceMappings"))):
            if "ebs" in mapping:
                yield f"blockDeviceMappings[{i}].ebs.encrypted", mapping.get("ebs") or {}
    elif type_ in tokens.EC2_INSTANCE:
        yield "rootBlockDevice.encrypted", props.get("rootBlockDevice") or {}
        for i, device in enumerate(items(props.get("ebsBlockDevices"))):
            yield f"ebsBlockDevices[{i}].encrypted", device
    elif type_ in tokens.KARPENTER_NODECLASS:
        for i, mapping in enumerate(items(dig(props, "spec.blockDeviceMappings"))):
            yield f"spec.blockDeviceMappings[{i}].ebs.encrypted", mapping.get("ebs") or {}


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    for path, device in _devices(type_, props):
        if not truthy(device.get("encrypted")):
            yield f"{path} must be true"


def remediate(type_: str, props: Mapping[str, Any], ctx: StackContext) -> dict[str, Any] | None:
    if type_ in tokens.EBS_VOLUME:
        return {**props, "encrypted": True}
    if type_ in tokens.LAUNCH_TEMPLATE:
        mappings = [
            {**m, "ebs": {**m["ebs"], "encrypted": "true"}} if "ebs" in m else m
            for m in items(props.get("blockDeviceMappings"))
        ]
        return {**props, "blockDeviceMappings": mappings}
    if type_ in tokens.EC2_INSTANCE:
        devices = [{**d, "encrypted": True} for d in items(props.get("ebsBlockDevices"))]
        root = {**(props.get("rootBlockDevice") or {}), "encrypted": True}
        return {**props, "rootBlockDevice": root, "ebsBlockDevices": devices}
    spec = dict(props.get("spec") or {})
    spec["blockDeviceMappings"] = [
        {**m, "ebs": {**(m.get("ebs") or {}), "encrypted": True}} for m in items(spec.get("blockDeviceMappings"))
    ]
    return {**props, "spec": spec}
