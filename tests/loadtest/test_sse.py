"""Reading OpenAI-style SSE streams: events split across chunks, role and usage chunks, errors."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

from blueprints.loadtest.sse import iter_events, read_stream


def _event(payload: dict[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return f"data: {data}\n\n".encode()


def _chunk(content: str | None = None, **extra: Any) -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    return {"choices": [{"index": 0, "delta": delta}], **extra}


def test_events_are_reassembled_across_arbitrary_chunk_boundaries() -> None:
    raw = b": comment\n\n" + _event({"a": 1}) + b"event: x\r\ndata: line1\r\ndata: line2\r\n\r\n" + _event("[DONE]")
    pieces = [raw[i:i + 3] for i in range(0, len(raw), 3)]
    assert list(iter_events(pieces)) == ['{"a": 1}', "line1\nline2", "[DONE]"]


def test_a_final_event_without_blank_line_is_still_read() -> None:
    assert list(iter_events([b"data: [DONE]"])) == ["[DONE]"]


def test_read_stream_times_only_chunks_that_carry_text() -> None:
    role = {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
    chunks = [_event(role), _event(_chunk("Hel")), _event(_chunk("lo")), _event(_chunk(None)),
              _event({"choices": [], "usage": {"completion_tokens": 3}}), _event("[DONE]")]
    clock = itertools.count(1.0)
    result = read_stream(chunks, lambda: next(clock), deadline=100)
    assert result.done and result.error is None
    assert result.token_times == [2.0, 3.0], "the role chunk and the finish chunk are not tokens"
    assert result.output_tokens == 3, "usage wins over the count of chunks"


def test_text_completion_and_reasoning_chunks_count_as_tokens() -> None:
    chunks = [_event({"choices": [{"text": "a"}]}), _event({"choices": [{"delta": {"reasoning_content": "b"}}]}),
              _event("[DONE]")]
    result = read_stream(chunks, lambda: 0.0, deadline=1)
    assert result.output_tokens == 2


def test_error_event_malformed_data_and_early_end_are_errors() -> None:
    error = read_stream([_event({"error": {"message": "overloaded"}})], lambda: 0.0, deadline=1)
    assert error.error == "error event: overloaded"
    malformed = read_stream([_event("{not json")], lambda: 0.0, deadline=1)
    assert malformed.error is not None and malformed.error.startswith("malformed event")
    cut = read_stream([_event(_chunk("a"))], lambda: 0.0, deadline=1)
    assert (cut.done, cut.error, cut.output_tokens) == (False, "stream ended before [DONE]", 1)


def test_a_stream_past_its_deadline_stops_being_read() -> None:
    def endless() -> Iterator[bytes]:
        while True:
            yield _event(_chunk("x"))

    clock = itertools.count()
    result = read_stream(endless(), lambda: float(next(clock)), deadline=5)
    assert result.error is not None and result.error.startswith("timeout")
    assert result.token_times == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "read up to the deadline, not past it"
