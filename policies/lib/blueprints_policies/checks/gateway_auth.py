"""The LLM gateway requires a master key, read from a secret reference (os.environ/...), never inline."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..litellm import ENV_REFERENCE, load
from ..model import StackContext
from ..props import dig


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    config = load(props)
    if config is None:
        return
    key = dig(config, "general_settings.master_key")
    if not key:
        yield "config.yaml general_settings.master_key must be set"
    elif not str(key).startswith(ENV_REFERENCE):
        yield f"config.yaml general_settings.master_key must be a secret reference '{ENV_REFERENCE}<VAR>', not inline"
