"""LiteLLM proxy callbacks loaded next to the generated config (`callbacks: [litellm_hooks.max_tokens_ceiling,
litellm_hooks.stream_failures, litellm_hooks.inert_callbacks]`).

This file runs inside the LiteLLM image, not in the blueprints package: it imports only LiteLLM and the
standard library. The gateway component ships its source in the `litellm-config` ConfigMap.
"""

from __future__ import annotations

import os

import litellm
from litellm.integrations.custom_logger import CustomLogger

CEILING_ENV = "BLUEPRINTS_MAX_TOKENS"
TOKEN_FIELDS = ("max_tokens", "max_completion_tokens")
GENERATION_CALLS = {"completion", "acompletion", "text_completion", "atext_completion"}


class MaxTokensCeiling(CustomLogger):
    """Clamps `max_tokens` / `max_completion_tokens` to the ceiling and sets `max_tokens` when a request has
    neither, so no request can ask a model for more output than the platform allows."""

    def __init__(self, ceiling: int) -> None:
        super().__init__()
        self.ceiling = ceiling

    async def async_pre_call_hook(self, user_api_key_dict, cache, data: dict, call_type):
        if str(call_type) not in GENERATION_CALLS:
            return data
        present = [field for field in TOKEN_FIELDS if data.get(field) is not None]
        for field in present:
            data[field] = min(int(data[field]), self.ceiling)
        if not present:
            data["max_tokens"] = self.ceiling
        return data


max_tokens_ceiling = MaxTokensCeiling(int(os.environ[CEILING_ENV]))

CACHE_MARKER = "cache"


class InertCallbacks(CustomLogger):
    """Takes the response cache's marker out of LiteLLM's synchronous success callbacks.

    LiteLLM 1.81.16 adds "cache" to `litellm.success_callback` when a cache is configured (litellm/caching/
    caching.py, Cache.__init__), though no success handler acts on it: the proxy reads and writes its cache in
    LLMCachingHandler. Any entry there makes every request also run the whole synchronous success handler on a
    thread pool (litellm_logging.py, Logging.handle_sync_success_callbacks_for_async_calls), which costs the
    gateway's core a fifth of its time. The cache is set up after the callbacks are loaded, so the marker is
    removed before each call, not at import; the async marker and the cache itself stay."""

    async def async_pre_call_hook(self, user_api_key_dict, cache, data: dict, call_type):
        if CACHE_MARKER in litellm.success_callback:
            litellm.success_callback.remove(CACHE_MARKER)
        return data


inert_callbacks = InertCallbacks()

CONTINUATION_PROMPT = ("You are a helpful assistant. You are given a message and you need to respond to it. "
                       "You are also given a generated content.")
"""How the system message opens that LiteLLM 1.81.16 appends, with an assistant message `prefix: True` holding the
partial answer, when it continues a broken stream on a fallback model (litellm/router.py,
Router._acompletion_streaming_iterator.stream_with_fallbacks)."""
TIMEOUT_STATUS = 408
BROKEN_STATUS = 503


class StreamInterrupted(Exception):
    """A model's stream broke after part of the answer had reached the client. Its status is one the router
    neither retries (Router.should_retry_this_error -> utils._should_retry) nor cools the fallback down for
    (cooldown_handlers._is_cooldown_required); the client sees the broken stream's own error (503)."""

    status_code = 422


def _continued_answer(messages: object) -> str | None:
    """The partial answer LiteLLM asks a fallback to continue, or None when this is not such a request."""
    if not isinstance(messages, list) or len(messages) < 2:
        return None
    instruction, partial = messages[-2], messages[-1]
    if (isinstance(instruction, dict) and instruction.get("role") == "system"
            and str(instruction.get("content", "")).startswith(CONTINUATION_PROMPT)
            and isinstance(partial, dict) and partial.get("role") == "assistant" and partial.get("prefix") is True):
        return str(partial.get("content") or "")
    return None


class StreamBroken(Exception):
    """What a deployment is cooled down for when its stream broke; its text avoids "APIConnectionError", which
    cooldown_handlers._is_cooldown_required ignores."""


class StreamFailures(CustomLogger):
    """What LiteLLM does not do for a stream that breaks once it has started:

    - it would continue the answer on the fallback model behind the client's back (another model, a system prompt
      nobody reviewed, more tokens than `max_tokens`): refused, so the client gets an SSE error event and no
      [DONE]; a stream that broke before any content simply falls back, without the injected messages;
    - it never cools the deployment down (the failure it logs has no status, and the router skips it): counted
      here with the router's own rule (`allowed_fails` within `cooldown_time`), so the next requests go elsewhere.
    """

    async def async_pre_call_deployment_hook(self, kwargs: dict, call_type):
        partial = _continued_answer(kwargs.get("messages"))
        if partial is None:
            return None
        if partial:
            raise StreamInterrupted(f"the model's answer broke off after {len(partial)} characters and is not "
                                    "completed by another model; retry the request")
        return {**kwargs, "messages": kwargs["messages"][:-2]}

    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict, response, request_data: dict):
        deployment = _deployment_of(response)
        try:
            async for item in response:
                deployment = deployment or _deployment_of(item)
                yield item
        except Exception as error:
            # No chunk yet (a server that sent headers, then nothing): the deployment the router picked.
            picked = ((request_data.get("metadata") or {}).get("model_info") or {}).get("id")
            _cool_down(deployment or picked, error)
            raise


def _deployment_of(stream_or_chunk: object) -> str | None:
    """The router's deployment id, which LiteLLM keeps in the stream's and each chunk's hidden params."""
    return (getattr(stream_or_chunk, "_hidden_params", None) or {}).get("model_id")


def _cool_down(deployment: str | None, error: Exception) -> None:
    """Count a broken stream against its deployment with the router's own cooldown rule."""
    from litellm.proxy.proxy_server import llm_router
    from litellm.router_utils.cooldown_handlers import _set_cooldown_deployments

    if llm_router is None or deployment is None:
        return
    timed_out = getattr(error, "status_code", None) == TIMEOUT_STATUS
    _set_cooldown_deployments(litellm_router_instance=llm_router,
                              original_exception=StreamBroken(f"stream broke off: {type(error).__name__}"),
                              exception_status=TIMEOUT_STATUS if timed_out else BROKEN_STATUS,
                              deployment=str(deployment), time_to_cooldown=llm_router.cooldown_time)


stream_failures = StreamFailures()
