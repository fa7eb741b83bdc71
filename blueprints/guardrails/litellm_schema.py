"""A LiteLLM guardrail that validates structured outputs: an answer to a request with `response_format` of type
`json_schema` must be JSON that matches the schema. On a mismatch the model is asked once more (the same model
group, told what was wrong); a second mismatch answers 502 with the reason. Streams are relayed unvalidated (they
cannot be retried once sent).

Runs inside the LiteLLM image (LiteLLM, its `jsonschema` dependency and the standard library only), loaded from
beside the proxy config: `guardrail: litellm_schema.StructuredOutputValidation, mode: post_call`. List it before a
masking guardrail, so that a retried answer is masked too (LiteLLM runs post_call guardrails in config order).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
from fastapi import HTTPException
from litellm.integrations.custom_guardrail import CustomGuardrail

# LiteLLM loads a guardrail by file path, not as part of a package: its siblings are imported by name.
sys.path.insert(0, str(Path(__file__).parent))
from litellm_decisions import record_decision

RETRIES = 1


def response_schema(response_format: Any) -> dict | None:
    """The JSON schema an OpenAI `response_format` asks for, or None."""
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return schema if isinstance(schema, dict) else None
    return None


def schema_problem(content: Any, schema: dict) -> str | None:
    """Why `content` is not JSON matching `schema` (one line, at most 300 characters), or None."""
    try:
        value = json.loads(content) if isinstance(content, str) else None
    except json.JSONDecodeError as error:
        return f"not JSON ({error.msg} at character {error.pos})"
    if value is None:
        return "no JSON content"
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(value))
    if error is None:
        return None
    path = "/".join(str(part) for part in error.absolute_path) or "(root)"
    return f"at {path}: {error.message}"[:300]


def _content(response: Any) -> Any:
    choices = getattr(response, "choices", None) or []
    return getattr(getattr(choices[0], "message", None), "content", None) if choices else None


class StructuredOutputValidation(CustomGuardrail):
    async def async_post_call_success_hook(self, data: dict, user_api_key_dict: Any, response: Any) -> Any:
        schema = response_schema(data.get("response_format"))
        if schema is None:
            return response
        started = time.time()
        problem = schema_problem(_content(response), schema)
        attempts = 0
        while problem is not None and attempts < RETRIES:
            attempts += 1
            response = await self._retry(data, _content(response), problem)
            problem = schema_problem(_content(response), schema)
        decision = "invalid" if problem is not None else "retried" if attempts else "valid"
        record_decision(self, data, decision, started, {"retries": attempts, "problem": problem})
        if problem is not None:
            raise HTTPException(status_code=502, detail={"error": (
                f"structured output: the model's answer does not match the response_format JSON schema after "
                f"{RETRIES} retry: {problem}")})
        return response

    @staticmethod
    async def _retry(data: dict, content: Any, problem: str) -> Any:
        """The same model group once more, with the failed answer and what was wrong with it."""
        from litellm.proxy.proxy_server import llm_router

        messages = [*data.get("messages", []), {"role": "assistant", "content": str(content or "")},
                    {"role": "user", "content": f"Your answer does not match the required JSON schema ({problem}). "
                                                "Answer again with only JSON that matches it."}]
        keep = ("max_tokens", "max_completion_tokens", "temperature", "response_format")
        return await llm_router.acompletion(model=data["model"], messages=messages,
                                            **{key: data[key] for key in keep if key in data})
