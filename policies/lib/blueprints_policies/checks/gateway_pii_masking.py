"""The gateway masks PII both ways: prompts before they reach a model and answers before they reach the client.

Names from LiteLLM 1.81.16: a guardrail entry's `litellm_params.guardrail` and `mode` (a hook name or a list of
them: pre_call, post_call, during_call; litellm/types/guardrails.py `LitellmParams.mode`), `default_on` (runs without
the client asking); the built-in `litellm_content_filter` masks with patterns whose `action` is MASK
(litellm_content_filter/content_filter.py); `presidio` masks responses with `apply_to_output: true`, while
`output_parse_pii` puts the original values back into responses (presidio.py async_post_call_success_hook).
The platform's own `litellm_pii.ResponsePIIMasking` (blueprints/guardrails/litellm_pii.py, loaded from beside the
config) masks responses in mode post_call.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from ..litellm import load
from ..model import StackContext
from ..props import items

SIDES = {"pre_call": "prompts (mode pre_call)", "post_call": "responses (mode post_call)"}
RESPONSE_PII_GUARDRAIL = "litellm_pii.ResponsePIIMasking"


def _sides(params: Mapping[str, Any]) -> set[str]:
    """The sides a default-on masking guardrail covers (none when it does not mask)."""
    kind, modes = params.get("guardrail"), {str(m) for m in items(params.get("mode"))}
    if params.get("default_on") is not True:
        return set()
    if kind == "litellm_content_filter":
        masks = any(str(p.get("action", "")).upper() == "MASK" for p in items(params.get("patterns"))
                    if isinstance(p, Mapping))
        return modes & set(SIDES) if masks else set()
    if kind == "presidio":
        return ({"pre_call"} & modes) | ({"post_call"} if params.get("apply_to_output") is True else set())
    if kind == RESPONSE_PII_GUARDRAIL:
        return {"post_call"} & modes
    return set()


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    config = load(props)
    if config is None:
        return
    guardrails = [g.get("litellm_params") or {} for g in items(config.get("guardrails")) if isinstance(g, Mapping)]
    covered = set().union(*(_sides(params) for params in guardrails))
    for side, what in SIDES.items():
        if side not in covered:
            yield (f"config.yaml guardrails: no default_on PII-masking guardrail covers {what}: use "
                   "litellm_content_filter with MASK patterns, presidio (apply_to_output for responses) or "
                   f"{RESPONSE_PII_GUARDRAIL} (responses)")
    for params in guardrails:
        if params.get("guardrail") == "presidio" and params.get("output_parse_pii") is True:
            yield "config.yaml guardrails: presidio output_parse_pii puts the masked values back into responses"
