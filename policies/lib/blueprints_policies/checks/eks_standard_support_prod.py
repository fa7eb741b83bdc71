"""In prod, the EKS cluster's Kubernetes version stays in standard support for at least 60 more days (the same
check as eks-standard-support, enforced where an unplanned upgrade hurts most)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from .eks_standard_support import as_of, support_problems


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if ctx.is_prod:
        yield from support_problems(props, as_of(ctx))
