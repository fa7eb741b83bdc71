"""Every model behind the gateway has requests-per-minute and tokens-per-minute limits."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..litellm import load, models
from ..model import StackContext
from ..props import number


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    config = load(props)
    if config is None:
        return
    if not models(config):
        yield "config.yaml model_list is empty"
    for entry in models(config):
        params = entry.get("litellm_params") or {}
        missing = [k for k in ("rpm", "tpm") if not number(params.get(k))]
        if missing:
            yield f"model {entry.get('model_name')!r}: litellm_params must set {missing}"
