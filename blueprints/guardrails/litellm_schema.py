"""A LiteLLM guardrail that validates structured outputs: an answer to a request with `response_format` of type
`json_schema` must be JSON that matches the schema. On a mismatch the model is asked once more (the same model
group, told what was wrong); a second mismatch answers 502 with the reason. A streamed answer is held back until
it is complete and checked the same way (a retried one is streamed from the retry's answer); one still invalid ends
the stream with a single error event, which the proxy turns into the same 502 answer, so no invalid JSON reaches the
client either way.

Runs inside the LiteLLM image (LiteLLM, its `jsonschema` dependency and the standard library only), loaded from
beside the proxy config: `guardrail: litellm_schema.StructuredOutputValidation, mode: post_call`. List it before a
masking guardrail, so that a retried answer is masked too (LiteLLM runs post_call guardrails in config order).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import AsyncGenerator
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


def _streamed_content(chunks: list[Any]) -> str:
    """The text of the first choice of a stream's chunks."""
    parts = []
    for chunk in chunks:
        for choice in getattr(chunk, "choices", None) or ():
            delta = getattr(choice, "delta", None)
            if getattr(choice, "index", 0) == 0 and isinstance(getattr(delta, "content", None), str):
                parts.append(delta.content)
    return "".join(parts)


def _error_message(problem: str) -> str:
    return (f"structured output: the model's answer does not match the response_format JSON schema after {RETRIES} "
            f"retry: {problem}")


STREAM_ERROR_STATUS = 502


class StructuredOutputValidation(CustomGuardrail):
    async def async_post_call_success_hook(self, data: dict, user_api_key_dict: Any, response: Any) -> Any:
        schema = response_schema(data.get("response_format"))
        if schema is None:
            return response
        response, problem = await self._validated(data, response, _content(response), schema)
        if problem is not None:
            raise HTTPException(status_code=502, detail={"error": _error_message(problem)})
        return response

    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict: Any, response: Any,
                                                      request_data: dict) -> AsyncGenerator[Any, None]:
        """A structured answer's chunks are held until the stream ends, then checked: valid, they are sent as
        they came; retried, the retry's answer is sent as a stream; still invalid, one SSE error event is sent
        instead (LiteLLM 1.81.16 ends the stream at a `data: ` string chunk and, when it comes first, answers with
        its `code` as a JSON error: proxy_server.py async_data_generator, common_request_processing.py
        create_streaming_response)."""
        schema = response_schema(request_data.get("response_format"))
        if schema is None:
            async for chunk in response:
                yield chunk
            return
        chunks = [chunk async for chunk in response]
        retried, problem = await self._validated(request_data, None, _streamed_content(chunks), schema)
        if problem is not None:
            error = {"message": _error_message(problem), "type": "structured_output_error",
                     "code": STREAM_ERROR_STATUS}
            yield f"data: {json.dumps({'error': error})}\n\n"
            return
        if retried is None:
            for chunk in chunks:
                yield chunk
            return
        from litellm.llms.base_llm.base_model_iterator import MockResponseIterator

        async for chunk in MockResponseIterator(model_response=retried):
            yield chunk

    async def _validated(self, data: dict, response: Any, content: Any, schema: dict) -> tuple[Any, str | None]:
        """(the answer to send: `response`, or the retry's; why it still misses the schema, or None), recorded."""
        started = time.time()
        problem = schema_problem(content, schema)
        attempts = 0
        while problem is not None and attempts < RETRIES:
            attempts += 1
            response = await self._retry(data, content, problem)
            content = _content(response)
            problem = schema_problem(content, schema)
        decision = "invalid" if problem is not None else "retried" if attempts else "valid"
        record_decision(self, data, decision, started, {"retries": attempts, "problem": problem})
        return response, problem

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
