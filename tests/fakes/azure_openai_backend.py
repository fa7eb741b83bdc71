"""A local fake of an Azure OpenAI resource for tests (standard library only): `POST
/openai/deployments/<deployment>/chat/completions?api-version=<version>`, authenticated by the `api-key` header,
answered with one chat.completion JSON body (the Azure OpenAI REST reference's shape, which is OpenAI's). LiteLLM's
`azure/` provider calls this path on `api_base` through the OpenAI SDK's AzureOpenAI client.

    with FakeAzureOpenAI() as azure:
        api_base = azure.base_url                  # http://127.0.0.1:<free port>
        assert azure.requests[0].deployment == "gpt41mini"
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.local_server import LocalServer, QuietHandler

CHAT_PATH = re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/chat/completions$")
DEFAULT_MAX_TOKENS = 16


@dataclass(frozen=True)
class RecordedRequest:
    deployment: str
    api_version: str | None
    headers: dict[str, str]
    body: dict[str, Any]


class FakeAzureOpenAI(LocalServer[RecordedRequest]):
    """The fake resource on 127.0.0.1 (a free port), in a thread of this process; answers `max_tokens` tokens
    `"azure<i> "` (default 16)."""

    def __init__(self) -> None:
        backend = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                url = urlsplit(self.path)
                body = json.loads(self.read_body() or b"{}")
                match = CHAT_PATH.match(url.path)
                if match is None:
                    self._json(HTTPStatus.NOT_FOUND, {"error": {"code": "404", "message": f"no route {url.path}"}})
                    return
                backend.record(RecordedRequest(
                    match["deployment"], (parse_qs(url.query).get("api-version") or [None])[0],
                    self.lower_headers(), body))
                count = int(body.get("max_tokens") or body.get("max_completion_tokens") or DEFAULT_MAX_TOKENS)
                self._json(HTTPStatus.OK, {
                    "id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", match["deployment"]),
                    "choices": [{"index": 0, "finish_reason": "length", "message": {
                        "role": "assistant", "content": "".join(f"azure{i} " for i in range(count))}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": count, "total_tokens": 1 + count}})

            def _json(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)
