"""The gateway records every request as an event (a logging callback besides metrics)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..litellm import load
from ..model import StackContext
from ..props import dig, items

METRICS_ONLY = {"prometheus"}


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    config = load(props)
    if config is None:
        return
    settings = dig(config, "litellm_settings", {}) or {}
    callbacks = {str(c) for key in ("callbacks", "success_callback") for c in items(settings.get(key))}
    if not callbacks - METRICS_ONLY:
        yield ("config.yaml litellm_settings.success_callback (or callbacks) must name an event-logging sink "
               f"besides metrics (got {sorted(callbacks) or 'none'})")
