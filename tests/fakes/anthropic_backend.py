"""A local fake of Anthropic's Messages API for tests (standard library only): `POST /v1/messages`, answered
with one JSON message or, with `"stream": true`, the Messages streaming events (message_start,
content_block_start, content_block_delta per token, content_block_stop, message_delta, message_stop), shaped
as docs.anthropic.com/en/api/messages and /en/api/messages-streaming describe them. LiteLLM's `anthropic/`
provider calls `<api_base>/v1/messages` (litellm/main.py at v1.81.16 appends the path to `api_base`).

    with FakeAnthropicBackend() as backend:
        api_base = backend.base_url            # http://127.0.0.1:<free port>
        assert backend.requests[0].headers["x-api-key"] == "..."

The answer to a request for N tokens (`max_tokens`, default 16) is N tokens `"anthropic<i> "`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from tests.fakes.local_server import LocalServer, QuietHandler

MESSAGES_PATH = "/v1/messages"
DEFAULT_MAX_TOKENS = 16
MAX_TOKENS_CEILING = 4096


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def _tokens(body: dict[str, Any]) -> list[str]:
    count = min(int(body.get("max_tokens") or DEFAULT_MAX_TOKENS), MAX_TOKENS_CEILING)
    return [f"anthropic{index} " for index in range(count)]


def _input_tokens(body: dict[str, Any]) -> int:
    text = json.dumps(body.get("messages", [])) + json.dumps(body.get("system", ""))
    return max(1, len(text.split()))


def _events(body: dict[str, Any], message_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    tokens = _tokens(body)
    yield "message_start", {"type": "message_start", "message": {
        "id": message_id, "type": "message", "role": "assistant", "model": body.get("model"), "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": _input_tokens(body), "output_tokens": 1}}}
    yield "content_block_start", {"type": "content_block_start", "index": 0,
                                  "content_block": {"type": "text", "text": ""}}
    for token in tokens:
        yield "content_block_delta", {"type": "content_block_delta", "index": 0,
                                      "delta": {"type": "text_delta", "text": token}}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield "message_delta", {"type": "message_delta", "delta": {"stop_reason": "max_tokens", "stop_sequence": None},
                            "usage": {"output_tokens": len(tokens)}}
    yield "message_stop", {"type": "message_stop"}


class FakeAnthropicBackend(LocalServer[RecordedRequest]):
    """The fake server on 127.0.0.1 (a free port), in a thread of this process."""

    def __init__(self) -> None:
        backend = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = json.loads(self.read_body() or b"{}")
                backend.record(RecordedRequest(self.path, self.lower_headers(), body))
                if self.path != MESSAGES_PATH:
                    self._json(HTTPStatus.NOT_FOUND, {"type": "error", "error": {
                        "type": "not_found_error", "message": f"no route {self.path}"}})
                    return
                message_id = f"msg_fake{uuid.uuid4().hex[:12]}"
                if body.get("stream"):
                    self._stream(body, message_id)
                    return
                tokens = _tokens(body)
                self._json(HTTPStatus.OK, {
                    "id": message_id, "type": "message", "role": "assistant", "model": body.get("model"),
                    "content": [{"type": "text", "text": "".join(tokens)}], "stop_reason": "max_tokens",
                    "stop_sequence": None,
                    "usage": {"input_tokens": _input_tokens(body), "output_tokens": len(tokens)}})

            def _json(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict[str, Any], message_id: str) -> None:
                self.send_response(HTTPStatus.OK)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                for event, payload in _events(body, message_id):
                    self.wfile.write(f"event: {event}\ndata: {json.dumps(payload)}\n\n".encode())
                    self.wfile.flush()
                self.close_connection = True

        super().__init__(Handler)
