"""Instances require IMDSv2 session tokens (launch templates, instances, Karpenter EC2NodeClasses)."""

from collections.abc import Iterator, Mapping
from typing import Any

from .. import tokens
from ..model import StackContext
from ..props import dig


def _path(type_: str) -> str:
    return "spec.metadataOptions" if type_ in tokens.KARPENTER_NODECLASS else "metadataOptions"


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if type_ in tokens.EKS_NODE_GROUP:
        if not dig(props, "launchTemplate.id") and not dig(props, "launchTemplate.name"):
            yield ("launchTemplate must name a launch template (judged here for IMDSv2 and EBS encryption); "
                   "without one the node group takes EKS's default template, which this policy cannot see")
        return
    path = _path(type_)
    # Karpenter defaults httpTokens to required; EC2 launch templates and instances default to optional.
    default = "required" if type_ in tokens.KARPENTER_NODECLASS else "optional"
    if dig(props, f"{path}.httpTokens", default) != "required":
        yield f"{path}.httpTokens must be 'required' (IMDSv2)"


def remediate(type_: str, props: Mapping[str, Any], ctx: StackContext) -> dict[str, Any] | None:
    if type_ in tokens.EKS_NODE_GROUP:
        return None
    fixed = dict(props)
    if type_ in tokens.KARPENTER_NODECLASS:
        spec = dict(fixed.get("spec") or {})
        spec["metadataOptions"] = {**(spec.get("metadataOptions") or {}), "httpTokens": "required"}
        fixed["spec"] = spec
    else:
        fixed["metadataOptions"] = {**(fixed.get("metadataOptions") or {}), "httpTokens": "required"}
    return fixed
