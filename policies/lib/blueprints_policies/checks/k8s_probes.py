"""Long-running containers have readiness and liveness probes (model servers add a startupProbe for the
load phase; Jobs and init containers are exempt)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s import each_container, is_patch
from ..model import StackContext


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if is_patch(type_):
        return  # a patch restates only what it changes
    for label, container in each_container(type_, props, include_init=False):
        missing = [p for p in ("readinessProbe", "livenessProbe") if not container.get(p)]
        if missing:
            yield f"{label}: needs {missing}"
