"""A public EKS API endpoint is limited to named CIDR ranges, never the whole internet."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import dig, items

OPEN = ("0.0.0.0/0", "::/0")


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if dig(props, "vpcConfig.endpointPublicAccess", True) is False:
        return
    cidrs = items(dig(props, "vpcConfig.publicAccessCidrs"))
    if not cidrs or any(c in OPEN for c in cidrs):
        yield ("public endpoint is open to the internet: set vpcConfig.publicAccessCidrs to the operators' "
               f"ranges (got {cidrs or 'default 0.0.0.0/0'}) or endpointPublicAccess false")
