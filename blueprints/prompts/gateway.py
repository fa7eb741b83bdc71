"""What the gateway merges into its LiteLLM config so each model version serves with its pinned prompt (pure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from blueprints.prompts.templates import prompt_for, running_prompts
from blueprints.spec import PlatformSpec

HOOK_FILE = Path(__file__).with_name("litellm_prompts.py")
HOOK_MODULE = HOOK_FILE.stem
CALLBACK = f"{HOOK_MODULE}.pinned_prompts"
MODEL_INFO_KEY = "blueprints_prompt"
"""Must equal litellm_prompts.MODEL_INFO_KEY (that file cannot import this package; a test checks)."""


def prompt_model_info(spec: PlatformSpec, model_name: str, model_version: str) -> dict[str, Any]:
    """Keys to add to the `model_info` of the gateway deployment serving `model_version` of `model_name`
    (empty when the model has no prompt template)."""
    prompt = prompt_for(spec, model_name, model_version)
    return {} if prompt is None else {MODEL_INFO_KEY: prompt.document()}


def litellm_prompt_settings(spec: PlatformSpec) -> dict[str, Any]:
    """Everything the gateway needs for pinned prompts; empty when no model has a template.

    - `callbacks`: append to `litellm_settings.callbacks`;
    - `files`: write beside config.yaml (file name -> source), like litellm_hooks.py;
    - `model_info`: model name -> model version -> keys to merge into that deployment's `model_info`.
    """
    prompts = running_prompts(spec)
    if not prompts:
        return {}
    model_info: dict[str, dict[str, dict[str, Any]]] = {}
    for prompt in prompts:
        model_info.setdefault(prompt.model, {})[prompt.model_version] = {MODEL_INFO_KEY: prompt.document()}
    return {"callbacks": [CALLBACK], "files": {HOOK_FILE.name: HOOK_FILE.read_text()}, "model_info": model_info}
