"""A LiteLLM guardrail that masks PII in answers, whole or streamed, with checksum-validated recognizers (`pii.py`).

Runs inside the LiteLLM image (LiteLLM and the standard library only), loaded from beside the proxy config with
`pii.py` next to it:

    guardrails:
      - guardrail_name: pii-response-masking
        litellm_params: {guardrail: litellm_pii.ResponsePIIMasking, mode: post_call, default_on: true,
                         entities: [EMAIL, CARD, IBAN, ...]}

LiteLLM 1.81.16 calls a post_call guardrail's own `async_post_call_success_hook` (whole answers) and
`async_post_call_streaming_iterator_hook` (streams) when the class defines them (proxy/utils.py,
ProxyLogging.post_call_success_hook and async_post_call_streaming_iterator_hook). Each decision is recorded by
litellm_decisions.py (audit record with counts per entity, never the values; guardrail metrics).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

from litellm.integrations.custom_guardrail import CustomGuardrail

# LiteLLM loads a guardrail by file path, not as part of a package: its siblings are imported by name.
sys.path.insert(0, str(Path(__file__).parent))
import pii
from litellm_decisions import record_decision


class ResponsePIIMasking(CustomGuardrail):
    def __init__(self, entities: list[str] | None = None, **kwargs: Any) -> None:
        unknown = sorted(set(entities or ()) - set(pii.ENTITIES))
        if unknown:
            raise ValueError(f"guardrail entities: unknown {unknown}; known: {list(pii.ENTITIES)}")
        self.entities: tuple[str, ...] = tuple(entities or pii.ENTITIES)
        super().__init__(**kwargs)

    async def async_post_call_success_hook(self, data: dict, user_api_key_dict: Any, response: Any) -> Any:
        started = time.time()
        counts: Counter[str] = Counter()
        for choice in getattr(response, "choices", None) or ():
            message = getattr(choice, "message", None)
            if message is not None and isinstance(message.content, str):
                masked = pii.mask_text(message.content, self.entities)
                message.content = masked.text
                counts += masked.counts
        self._record(data, counts, started)
        return response

    async def async_post_call_streaming_iterator_hook(
        self, user_api_key_dict: Any, response: Any, request_data: dict,
    ) -> AsyncGenerator[Any, None]:
        """One masker per choice; a chunk carries what its masker releases (empty while held), the chunk with
        `finish_reason` the rest. A stream that breaks off releases nothing more."""
        started = time.time()
        maskers: dict[int, Any] = {}
        async for chunk in response:
            for choice in getattr(chunk, "choices", None) or ():
                masker = maskers.setdefault(choice.index, pii.StreamMasker(self.entities))
                delta = getattr(choice, "delta", None)
                if delta is None:
                    continue
                released = masker.feed(delta.content) if isinstance(delta.content, str) else ""
                if choice.finish_reason:
                    released += masker.finish()
                if isinstance(delta.content, str) or released:
                    delta.content = released
            yield chunk
        self._record(request_data, sum((masker.counts for masker in maskers.values()), Counter()), started)

    def _record(self, data: dict, counts: Counter[str], started: float) -> None:
        """The decision: masked or passed, and how many values of each entity."""
        record_decision(self, data, "masked" if counts else "passed", started, {"entities": dict(counts)},
                        masked_entity_count=dict(counts))
