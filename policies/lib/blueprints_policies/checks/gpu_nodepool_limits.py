"""Every Karpenter NodePool caps what it may launch (spec.limits); a GPU NodePool caps nvidia.com/gpu."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s import GPU_RESOURCE
from ..model import StackContext
from ..props import dig, items, number

GPU_REQUIREMENT_KEYS = ("karpenter.k8s.aws/instance-gpu-count", "karpenter.k8s.aws/instance-gpu-name",
                        "karpenter.k8s.aws/instance-gpu-manufacturer")
GPU_FAMILIES = ("p", "g")


def is_gpu_pool(props: Mapping[str, Any]) -> bool:
    """A NodePool that can launch GPU instances: it selects on GPU labels, on p*/g* families, or taints
    its nodes for nvidia.com/gpu."""
    for requirement in items(dig(props, "spec.template.spec.requirements")):
        key = requirement.get("key")
        if key in GPU_REQUIREMENT_KEYS and requirement.get("operator") != "DoesNotExist":
            return True
        if (key in ("karpenter.k8s.aws/instance-category", "karpenter.k8s.aws/instance-family")
                and requirement.get("operator") == "In"
                and any(str(v).startswith(GPU_FAMILIES) for v in items(requirement.get("values")))):
            return True
    return any(t.get("key") == GPU_RESOURCE for t in items(dig(props, "spec.template.spec.taints")))


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    limits = dig(props, "spec.limits", {}) or {}
    if is_gpu_pool(props):
        if not number(limits.get(GPU_RESOURCE)):
            yield f"GPU NodePool needs spec.limits['{GPU_RESOURCE}'] (got {dict(limits) or 'none'})"
    elif not (number(limits.get("cpu")) or number(limits.get("memory"))):
        yield "NodePool needs spec.limits.cpu or spec.limits.memory"
