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
CONTENT_SAFETY_GUARDRAIL = "content-safety"
CONTENT_SAFETY_CATEGORIES = (
    "harmful_violence", "harmful_self_harm", "harmful_child_safety", "harmful_illegal_weapons",
    "prompt_injection_jailbreak", "prompt_injection_system_prompt", "prompt_injection_data_exfiltration",
)
"""Keyword and phrase rules LiteLLM 1.81.16's content filter ships (litellm_content_filter/categories/<name>.yaml):
a self-hosted guard that runs offline, for presets whose prompts may not leave the account (no hosted classifier
such as Bedrock Guardrails). Blocks at severity medium and above."""


def response_guardrails(spec: PlatformSpec) -> list[dict[str, Any]]:
    if spec.compliance.level != "regulated":
        return []
    return [
        {"guardrail_name": STRUCTURED_OUTPUT_GUARDRAIL, "litellm_params": {
            "guardrail": "litellm_schema.StructuredOutputValidation", "mode": "post_call", "default_on": True}},
        {"guardrail_name": RESPONSE_PII_GUARDRAIL, "litellm_params": {
            "guardrail": "litellm_pii.ResponsePIIMasking", "mode": "post_call", "default_on": True}},
    ]


def content_guardrails(spec: PlatformSpec) -> list[dict[str, Any]]:
    """Private presets (no hosted models): prompts with harmful content or jailbreak / prompt-extraction attempts
    are refused (403, "Content blocked: <category>") before they reach a model."""
    if spec.compliance.allow_hosted_models:
        return []
    categories = [{"category": name, "enabled": True, "action": "BLOCK", "severity_threshold": "medium"}
                  for name in CONTENT_SAFETY_CATEGORIES]
    return [{"guardrail_name": CONTENT_SAFETY_GUARDRAIL, "litellm_params": {
        "guardrail": "litellm_content_filter", "mode": "pre_call", "default_on": True, "categories": categories}}]


BEDROCK_GUARDRAIL = "bedrock-content-filter"
CONTENT_FILTER_TYPES = ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT")
"""Bedrock's content filter types (botocore data/bedrock/2023-04-20 GuardrailContentFilterType) besides
PROMPT_ATTACK, whose output strength must be NONE (it judges prompts only)."""


def bedrock_guardrail_request(spec: PlatformSpec, name: str) -> dict[str, Any]:
    """The guardrail `gateway.bedrock_guardrail` asks for, as a CreateGuardrail request (botocore `bedrock`
    2023-04-20 shapes; components/content_guardrail.py creates it as `aws.bedrock.Guardrail`)."""
    settings = spec.gateway.bedrock_guardrail
    assert settings is not None
    strength = settings.filter_strength
    filters = [{"type": kind, "inputStrength": strength, "outputStrength": strength} for kind in CONTENT_FILTER_TYPES]
    filters.append({"type": "PROMPT_ATTACK", "inputStrength": settings.prompt_attack_strength,
                    "outputStrength": "NONE"})
    return {"name": name, "description": "Content filters of the LLM gateway's prompts and answers",
            "blockedInputMessaging": settings.blocked_message, "blockedOutputsMessaging": settings.blocked_message,
            "contentPolicyConfig": {"filtersConfig": filters}}


def bedrock_guardrail_entry(region: str, identifier: str, version: str) -> dict[str, Any]:
    """LiteLLM's `bedrock` guardrail (proxy/guardrails/guardrail_initializers.py, initialize_bedrock, v1.81.16) on
    every prompt and answer. Every route, not only the Bedrock ones: 1.81.16 merges a model's own `guardrails` only
    in the streaming post-call hook (proxy/utils.py, _check_and_merge_model_level_guardrails), never before the
    call. The id and version are literal: LiteLLM resolves `os.environ/` in a guardrail's api_key and api_base
    only, so they are written when the guardrail exists (deploy time)."""
    return {"guardrail_name": BEDROCK_GUARDRAIL, "litellm_params": {
        "guardrail": "bedrock", "mode": ["pre_call", "post_call"], "default_on": True,
        "guardrailIdentifier": identifier, "guardrailVersion": version, "aws_region_name": region}}


def guardrail_files(spec: PlatformSpec) -> dict[str, str]:
    """File name -> source of the guardrail modules the preset's config loads (none when it loads none)."""
    return {name: (RUNTIME_DIR / name).read_text() for name in RUNTIME_FILES} if response_guardrails(spec) else {}
