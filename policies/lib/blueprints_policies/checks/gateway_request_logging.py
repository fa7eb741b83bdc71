"""The gateway records every request as an event in a durable sink (metrics alone record no events)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..litellm import load
from ..model import StackContext
from ..props import dig, items

# LiteLLM logging integrations that write one record per request to durable storage or a log pipeline.
EVENT_SINKS = {"s3", "s3_v2", "gcs_bucket", "azure_storage", "otel", "langfuse", "langsmith", "datadog",
               "dynamodb", "sqs", "generic_api"}


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    config = load(props)
    if config is None:
        return
    settings = dig(config, "litellm_settings", {}) or {}
    callbacks = {str(c) for key in ("callbacks", "success_callback") for c in items(settings.get(key))}
    if not callbacks & EVENT_SINKS:
        yield ("config.yaml litellm_settings.success_callback (or callbacks) must name an event-logging sink, one "
               f"of {sorted(EVENT_SINKS)} (got {sorted(callbacks) or 'none'})")
