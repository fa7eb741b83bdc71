"""Reading an OpenAI-style server-sent-event stream of completion chunks, timing each content chunk."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


def iter_events(chunks: Iterable[bytes]) -> Iterator[str]:
    """Yield the data of each SSE event as soon as its terminating blank line arrives."""
    buffer = b""
    data: list[str] = []
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for raw in lines:
            line = raw.rstrip(b"\r")
            if not line:
                if data:
                    yield "\n".join(data)
                    data = []
            elif line.startswith(b"data:"):
                data.append(line[5:].removeprefix(b" ").decode("utf-8", errors="replace"))
    if buffer.startswith(b"data:"):
        data.append(buffer[5:].strip().decode("utf-8", errors="replace"))
    if data:
        yield "\n".join(data)


def _content(chunk: dict[str, Any]) -> str:
    """The text a chat or text-completion chunk adds (answer or reasoning); "" for role, usage, finish."""
    parts: list[str] = []
    for choice in chunk.get("choices") or []:
        delta = choice.get("delta") or {}
        for value in (delta.get("content"), delta.get("reasoning_content"), choice.get("text")):
            if isinstance(value, str):
                parts.append(value)
    return "".join(parts)


def _parse(data: str) -> dict[str, Any] | None:
    try:
        chunk = json.loads(data)
    except json.JSONDecodeError:
        return None
    return chunk if isinstance(chunk, dict) else None


@dataclass
class StreamResult:
    """When each chunk carrying text arrived (seconds, caller's clock), and how the stream ended."""

    token_times: list[float] = field(default_factory=list)
    usage_tokens: int | None = None
    """`usage.completion_tokens` when the server reported it."""
    done: bool = False
    error: str | None = None

    @property
    def output_tokens(self) -> int:
        return self.usage_tokens if self.usage_tokens is not None else len(self.token_times)


def read_stream(chunks: Iterable[bytes], clock: Callable[[], float], deadline: float) -> StreamResult:
    """Consume a completion stream until `[DONE]`, an error event, or `deadline` on `clock`.

    Transport errors raised by `chunks` propagate to the caller."""
    result = StreamResult()
    for data in iter_events(chunks):
        now = clock()
        if now > deadline:
            result.error = "timeout: stream still open at the request deadline"
            return result
        if data.strip() == "[DONE]":
            result.done = True
            return result
        chunk = _parse(data)
        if chunk is None:
            result.error = f"malformed event: {data[:80]!r}"
            return result
        if "error" in chunk:
            error = chunk["error"]
            message = error.get("message") if isinstance(error, dict) else error
            result.error = f"error event: {str(message)[:200]}"
            return result
        if _content(chunk):
            result.token_times.append(now)
        usage = chunk.get("usage")
        if isinstance(usage, dict) and isinstance(usage.get("completion_tokens"), int):
            result.usage_tokens = usage["completion_tokens"]
    result.error = "stream ended before [DONE]"
    return result
