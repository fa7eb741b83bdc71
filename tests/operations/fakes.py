"""Tiny local fakes (standard library, 127.0.0.1, free port) of the HTTP APIs the operations commands call:
Prometheus's query and rules API, and the gateway's OpenAI-compatible API with LiteLLM's health routes."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlparse


class _Server:
    """Runs a handler class on 127.0.0.1 in a thread for the duration of a `with` block."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return

    @property
    def fake(self) -> Any:
        return self.server.fake  # type: ignore[attr-defined]

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _PrometheusHandler(_Handler):
    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path == "/api/v1/query":
            query = parse_qs(url.query)["query"][0]
            self.fake.queries.append(query)
            self.fake.headers.append(dict(self.headers.items()))
            value = self.fake.answers.get(query)
            result = [] if value is None else [{"metric": {}, "value": [0, str(value)]}]
            self._json(200, {"status": "success", "data": {"resultType": "vector", "result": result}})
        elif url.path == "/api/v1/rules":
            self._json(200, {"status": "success", "data": {"groups": self.fake.rule_groups}})
        else:
            self._json(404, {"status": "error", "errorType": "not_found", "error": url.path})


class FakePrometheus(_Server):
    """Answers each PromQL query found in `answers` (exact text) with one sample; others with no data."""

    def __init__(self, answers: dict[str, float] | None = None, rule_groups: list[dict] | None = None):
        super().__init__(_PrometheusHandler)
        self.answers = answers or {}
        self.rule_groups = rule_groups or []
        self.queries: list[str] = []
        self.headers: list[dict[str, str]] = []


class _GatewayHandler(_Handler):
    def _authorized(self) -> bool:
        return self.headers.get("Authorization") == f"Bearer {self.fake.api_key}"

    def do_GET(self) -> None:
        fake = self.fake
        if self.path == "/health/liveliness":
            self._json(200, "I'm alive!")
        elif not self._authorized():
            self._json(401, {"error": {"message": "Authentication Error, No api key passed in.", "code": "401"}})
        elif self.path == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": name, "object": "model"} for name in fake.models]})
        elif self.path == "/health":
            healthy = [{"model": name} for name in fake.models if name not in fake.unhealthy]
            unhealthy = [{"model": name, "error": "connection refused"} for name in fake.unhealthy]
            self._json(200, {"healthy_endpoints": healthy, "unhealthy_endpoints": unhealthy,
                             "healthy_count": len(healthy), "unhealthy_count": len(unhealthy)})
        else:
            self._json(404, {"error": {"message": self.path}})

    def do_POST(self) -> None:
        fake = self.fake
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path != "/v1/chat/completions":
            self._json(404, {"error": {"message": self.path}})
            return
        if not self._authorized():
            error = {"message": "Authentication Error", "code": str(fake.no_key_status)}
            self._json(fake.no_key_status, {"error": error})
            return
        fake.completions.append(body)
        if body.get("stream"):
            self._stream(body)
            return
        key = json.dumps([body.get("model"), body.get("messages")], sort_keys=True)
        headers = {"x-litellm-cache-key": str(abs(hash(key)))} if fake.cache and key in fake.cached else {}
        fake.cached.add(key)
        self._json(200, {
            "id": "chatcmpl-1", "object": "chat.completion", "model": body.get("model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "pong"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        }, headers)

    def _stream(self, body: dict) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for token in self.fake.stream_tokens:
            chunk = {"id": "chatcmpl-2", "object": "chat.completion.chunk", "model": body.get("model"),
                     "choices": [{"index": 0, "delta": {"content": token}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        if self.fake.stream_done:
            self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


class FakeGateway(_Server):
    """The slice of a LiteLLM proxy that `verify` calls. Knobs change behaviour to exercise each failure."""

    def __init__(self, api_key: str, models: list[str]):
        super().__init__(_GatewayHandler)
        self.api_key = api_key
        self.models = models
        self.unhealthy: list[str] = []
        self.no_key_status = 401
        self.cache = True
        self.cached: set[str] = set()
        self.stream_tokens = ["po", "ng"]
        self.stream_done = True
        self.completions: list[dict] = []
