"""Every model behind the gateway has a max_tokens ceiling: per model (`litellm_params.max_tokens`) or
through the project's ceiling hook (a `*.max_tokens_ceiling` callback, blueprints/gateway/litellm_hooks.py)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..litellm import load, models
from ..model import StackContext
from ..props import dig, items, number

CEILING_HOOK_SUFFIX = ".max_tokens_ceiling"


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    config = load(props)
    if config is None:
        return
    callbacks = [str(c) for c in items(dig(config, "litellm_settings.callbacks"))]
    if any(c.endswith(CEILING_HOOK_SUFFIX) for c in callbacks):
        return
    for entry in models(config):
        ceiling = number((entry.get("litellm_params") or {}).get("max_tokens"))
        if not ceiling or ceiling <= 0:
            yield (f"model {entry.get('model_name')!r}: set litellm_params.max_tokens to a positive integer or "
                   f"register the ceiling hook in litellm_settings.callbacks (*{CEILING_HOOK_SUFFIX})")
