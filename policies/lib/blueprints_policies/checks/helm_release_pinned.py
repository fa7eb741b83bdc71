"""Helm releases install an exact chart version, so a re-run installs the same software."""

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext

EXACT = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$")


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    version = str(props.get("version") or "")
    if not EXACT.match(version):
        yield f"version must be an exact chart version like '1.2.3' (got {version or 'unset'!r})"
