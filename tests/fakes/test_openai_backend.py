"""The fake OpenAI-compatible backend behaves like one: routes, streaming token by token, delays, failures."""

from __future__ import annotations

import http.client
import itertools
import json
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.fakes.openai_backend import FakeBackendProcess, FakeOpenAIBackend

pytestmark = pytest.mark.integration


def _connection(base_url: str) -> http.client.HTTPConnection:
    parts = urlsplit(base_url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def _request(base_url: str, method: str, path: str, body: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    connection = _connection(base_url)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None,
                           headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _stream(base_url: str, body: dict[str, Any]) -> tuple[float, list[tuple[float, str]]]:
    """POST a streaming chat request; return the send time and each SSE data line with its arrival time."""
    connection = _connection(base_url)
    try:
        sent = time.perf_counter()
        connection.request("POST", "/v1/chat/completions", body=json.dumps({**body, "stream": True}),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "text/event-stream"
        events = []
        while line := response.readline():
            if line.startswith(b"data: "):
                events.append((time.perf_counter(), line[6:].strip().decode()))
        return sent, events
    finally:
        connection.close()


def test_health_and_models_list_the_configured_models() -> None:
    with FakeOpenAIBackend(models=("a", "b")) as backend:
        assert _request(backend.url, "GET", "/health") == (200, {"status": "healthy"})
        status, body = _request(backend.url, "GET", "/v1/models")
        assert status == 200
        assert [model["id"] for model in body["data"]] == ["a", "b"]
        assert backend.request_count == 0


def test_stream_sends_one_token_per_event_after_the_configured_delays() -> None:
    with FakeOpenAIBackend(name="primary", first_token_delay_s=0.15, token_delay_s=0.05) as backend:
        sent, events = _stream(backend.url, {"model": "m", "messages": [{"role": "user", "content": "hi there"}],
                                             "max_tokens": 4, "stream_options": {"include_usage": True}})
    assert events[-1][1] == "[DONE]"
    chunks = [(at, json.loads(data)) for at, data in events[:-1]]
    assert chunks[0][1]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[0][0] - sent < 0.1, "the role chunk comes at once"
    tokens = [(at, c["choices"][0]["delta"]["content"]) for at, c in chunks if c["choices"]
              and c["choices"][0]["delta"].get("content")]
    assert [text for _, text in tokens] == ["primary0 ", "primary1 ", "primary2 ", "primary3 "]
    assert 0.15 <= tokens[0][0] - sent < 0.3
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(tokens)]
    assert all(0.04 <= gap < 0.15 for gap in gaps), gaps
    assert chunks[-1][1]["usage"] == {"prompt_tokens": 2, "completion_tokens": 4, "total_tokens": 6}
    assert backend.requests[0].body["max_tokens"] == 4


def test_non_streaming_chat_and_text_completions_answer_in_one_body() -> None:
    with FakeOpenAIBackend(name="b") as backend:
        status, chat = _request(backend.url, "POST", "/v1/chat/completions",
                                {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 3})
        assert status == 200
        assert chat["object"] == "chat.completion"
        assert chat["choices"][0]["message"] == {"role": "assistant", "content": "b0 b1 b2 "}
        assert chat["usage"]["completion_tokens"] == 3
        status, text = _request(backend.url, "POST", "/v1/completions", {"model": "m", "prompt": "one two"})
        assert status == 200
        assert text["object"] == "text_completion"
        assert text["choices"][0]["text"].split() == [f"b{i}" for i in range(16)]
        assert text["usage"]["prompt_tokens"] == 2
        assert backend.request_count == 2
        assert [r.path for r in backend.requests] == ["/v1/chat/completions", "/v1/completions"]
        backend.reset()
        assert backend.request_count == 0


def test_scripted_answer_replaces_the_numbered_tokens_streamed_or_not() -> None:
    def answer(body: dict[str, Any]) -> str:
        return "Paris is the capital." if "France" in body["messages"][-1]["content"] else "I don't know."

    with FakeOpenAIBackend(answer=answer) as backend:
        question = {"model": "m", "messages": [{"role": "user", "content": "Capital of France?"}], "max_tokens": 2}
        _, body = _request(backend.url, "POST", "/v1/chat/completions", question)
        _, events = _stream(backend.url, {**question, "stream": True})
    assert body["choices"][0]["message"]["content"] == "Paris is the capital."
    assert body["usage"]["completion_tokens"] == 4
    deltas = [json.loads(data)["choices"][0]["delta"].get("content", "") for _, data in events[:-1]]
    assert [delta for delta in deltas if delta] == ["Paris ", "is ", "the ", "capital."]


def test_http_500_failure_can_be_switched_on_while_running() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    with FakeOpenAIBackend() as backend:
        assert _request(backend.url, "POST", "/v1/chat/completions", body)[0] == 200
        backend.failure = "http_500"
        status, error = _request(backend.url, "POST", "/v1/chat/completions", body)
        assert status == 500
        assert error["error"]["type"] == "server_error"
        assert backend.request_count == 2


def test_close_failure_drops_the_connection_without_a_response() -> None:
    with FakeOpenAIBackend(failure="close") as backend, pytest.raises(http.client.RemoteDisconnected):
        _request(backend.url, "POST", "/v1/chat/completions", {"model": "m", "messages": []})


def test_close_mid_stream_cuts_the_stream_after_the_first_token() -> None:
    with FakeOpenAIBackend(name="t", failure="close_mid_stream") as backend:
        _, events = _stream(backend.url, {"model": "m", "messages": [{"role": "user", "content": "x"}]})
    contents = [json.loads(data)["choices"][0]["delta"].get("content") for _, data in events]
    assert contents == ["", "t0 "], "the role chunk, one token, then no [DONE]"


def test_api_key_is_required_when_configured() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    with FakeOpenAIBackend(api_key="sk-test") as backend:
        assert _request(backend.url, "POST", "/v1/chat/completions", body)[0] == 401
        assert _request(backend.url, "POST", "/v1/chat/completions", body,
                        {"Authorization": "Bearer sk-test"})[0] == 200
        assert _request(backend.url, "GET", "/v1/models")[0] == 401


def test_unknown_failure_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="allowed: none, http_500"):
        FakeOpenAIBackend(failure="slow")  # type: ignore[arg-type]


def test_runs_as_a_process_with_a_readable_counter() -> None:
    with FakeBackendProcess(["--name", "proc", "--token-delay", "0.001"]) as backend:
        status, body = _request(backend.base_url, "POST", "/v1/chat/completions",
                                {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 2})
        assert (status, body["choices"][0]["message"]["content"]) == (200, "proc0 proc1 ")
        assert backend.request_count == 1
