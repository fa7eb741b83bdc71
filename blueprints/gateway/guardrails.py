"""The gateway's own post_call guardrails (blueprints/guardrails/: LiteLLM custom guardrails loaded from files beside
the proxy config): the entries a preset's config lists and the source files its `litellm-config` ConfigMap ships.

Regulated presets validate structured outputs, then mask PII in answers, in this order: LiteLLM runs post_call
guardrails in config order (proxy/utils.py, ProxyLogging.post_call_success_hook), so a retried answer is masked
too. Prompts stay with the built-in content filter (pre_call)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from blueprints.spec import PlatformSpec

RUNTIME_DIR = Path(__file__).parents[1] / "guardrails"
RUNTIME_FILES = ("pii.py", "litellm_decisions.py", "litellm_pii.py", "litellm_schema.py")
"""What the guardrails import from beside them (their siblings, by name)."""
STRUCTURED_OUTPUT_GUARDRAIL = "structured-output"
RESPONSE_PII_GUARDRAIL = "pii-response-masking"


def response_guardrails(spec: PlatformSpec) -> list[dict[str, Any]]:
    if spec.compliance.level != "regulated":
        return []
    return [
        {"guardrail_name": STRUCTURED_OUTPUT_GUARDRAIL, "litellm_params": {
            "guardrail": "litellm_schema.StructuredOutputValidation", "mode": "post_call", "default_on": True}},
        {"guardrail_name": RESPONSE_PII_GUARDRAIL, "litellm_params": {
            "guardrail": "litellm_pii.ResponsePIIMasking", "mode": "post_call", "default_on": True}},
    ]


def guardrail_files(spec: PlatformSpec) -> dict[str, str]:
    """File name -> source of the guardrail modules the preset's config loads (none when it loads none)."""
    return {name: (RUNTIME_DIR / name).read_text() for name in RUNTIME_FILES} if response_guardrails(spec) else {}
