"""ECR repositories keep tags immutable and scan images on push."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import dig, truthy


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if props.get("imageTagMutability") not in ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"):
        yield "imageTagMutability must be 'IMMUTABLE'"
    if not truthy(dig(props, "imageScanningConfiguration.scanOnPush")):
        yield "imageScanningConfiguration.scanOnPush must be true"
