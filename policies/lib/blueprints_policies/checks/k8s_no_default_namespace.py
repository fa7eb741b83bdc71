"""Workloads live in a named namespace, not `default`."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s import is_patch, namespace
from ..model import StackContext


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if is_patch(type_):
        return  # a patch restates only what it changes
    if namespace(props) == "default":
        yield "metadata.namespace must name a namespace other than 'default'"
