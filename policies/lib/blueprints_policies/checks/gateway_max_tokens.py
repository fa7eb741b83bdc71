"""Every model behind the gateway has a max_tokens ceiling."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..litellm import load, models
from ..model import StackContext
from ..props import number


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    config = load(props)
    if config is None:
        return
    for entry in models(config):
        ceiling = number((entry.get("litellm_params") or {}).get("max_tokens"))
        if not ceiling or ceiling <= 0:
            yield f"model {entry.get('model_name')!r}: litellm_params.max_tokens must be a positive integer"
