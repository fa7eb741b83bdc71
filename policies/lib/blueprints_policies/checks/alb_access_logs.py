"""Load balancers write access logs to S3."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import dig, truthy


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if not (truthy(dig(props, "accessLogs.enabled")) and dig(props, "accessLogs.bucket")):
        yield "accessLogs.enabled must be true with accessLogs.bucket set"
