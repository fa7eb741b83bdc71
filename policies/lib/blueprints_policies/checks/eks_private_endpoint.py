"""The EKS API server is reachable only from inside the VPC."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import dig


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    # The EKS API defaults endpointPublicAccess to true and endpointPrivateAccess to false.
    if dig(props, "vpcConfig.endpointPublicAccess", True) is not False:
        yield "vpcConfig.endpointPublicAccess must be false"
    if dig(props, "vpcConfig.endpointPrivateAccess", False) is not True:
        yield "vpcConfig.endpointPrivateAccess must be true"
