"""LiteLLM proxy callback that puts the pinned prompt in front of every chat request (`callbacks:
[litellm_prompts.pinned_prompts]`).

This file runs inside the LiteLLM image, not in the blueprints package: it imports only LiteLLM and the
standard library. Each gateway deployment (one per model version) carries its prompt in
`model_info.blueprints_prompt`; the hook runs after the router picked the deployment, so the prompt always
belongs to the model version that answers, and a rollout or rollback moves both together.
"""

from __future__ import annotations

from typing import Any

from litellm.integrations.custom_logger import CustomLogger

MODEL_INFO_KEY = "blueprints_prompt"
METADATA_KEYS = ("metadata", "litellm_metadata")


def with_prompt(prompt: dict[str, Any], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pinned system prompt and few-shot turns, then the client's messages unchanged."""
    return [*prompt["messages"], *messages]


class PinnedPrompts(CustomLogger):
    async def async_pre_call_deployment_hook(self, kwargs: dict[str, Any], call_type: Any) -> dict[str, Any] | None:
        messages = kwargs.get("messages")
        if not isinstance(messages, list):
            return None
        for key in METADATA_KEYS:
            metadata = kwargs.get(key) or {}
            prompt = (metadata.get("model_info") or {}).get(MODEL_INFO_KEY)
            if prompt:
                metadata["prompt_version"] = prompt["prompt_version"]
                return {**kwargs, "messages": with_prompt(prompt, messages)}
        return None


pinned_prompts = PinnedPrompts()
