"""LiteLLM proxy callbacks loaded next to the generated config (`callbacks: [litellm_hooks.max_tokens_ceiling]`).

This file runs inside the LiteLLM image, not in the blueprints package: it imports only LiteLLM and the
standard library. The gateway component ships its source in the `litellm-config` ConfigMap.
"""

from __future__ import annotations

import os

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
