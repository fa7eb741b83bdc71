"""A local fake OpenAI-compatible model server for tests (standard library only).

Serves `/v1/chat/completions` and `/v1/completions` (streaming SSE one token per event, or one JSON body),
`/v1/models`, `/health` and `/fake/stats` (request and connection counters, for a backend running in another
process).
Latency and failures are configurable and may be changed while it runs:

    with FakeOpenAIBackend(first_token_delay_s=0.05, token_delay_s=0.01) as backend:
        client_base_url = backend.base_url        # http://127.0.0.1:<free port>/v1
        backend.failure = "http_500"              # later requests fail
        assert backend.request_count == 1

The reply to a request asking for N tokens (`max_tokens`, `max_completion_tokens`, default 16) is N tokens
`"<name><i> "`, so a test can tell which backend answered. Run as a process with
`python -m tests.fakes.openai_backend --port 0 ...`: it prints one JSON line `{"base_url": ...}` once it
listens (or use `FakeBackendProcess`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self
from urllib.request import urlopen

Failure = Literal["none", "http_500", "close", "close_mid_stream", "close_after_headers", "hang", "stall_mid_stream",
                  "stall_after_headers"]
"""`http_500`: an OpenAI-style error body with status 500. `close`: the connection is closed before any
response. `close_mid_stream`: a stream is cut after its first token; `close_after_headers`: right after its
response headers (both: non-streaming requests like `close`).
`hang`: the request is read and never answered (until the server stops). `stall_mid_stream`: a stream stops
sending after its first token and never ends; `stall_after_headers`: a stream sends its response headers, then
nothing (both: non-streaming requests like `hang`)."""

FAILURES: tuple[Failure, ...] = ("none", "http_500", "close", "close_mid_stream", "close_after_headers", "hang",
                                 "stall_mid_stream", "stall_after_headers")
DEFAULT_MAX_TOKENS = 16
MAX_TOKENS_CEILING = 4096
COMPLETION_PATHS = ("/v1/chat/completions", "/v1/completions")
POLL_INTERVAL_S = 0.05
"""How often the server loop checks for shutdown: `stop()` takes at most this long."""


@dataclass(frozen=True)
class RecordedRequest:
    """One completion request as the backend received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class _Reply:
    """What one completion request asks for, derived from its body."""

    chat: bool
    model: str
    prompt_tokens: int
    tokens: list[str]
    include_usage: bool
    id: str = field(default_factory=lambda: f"fake-{uuid.uuid4().hex[:12]}")
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def object(self) -> str:
        return "chat.completion" if self.chat else "text_completion"

    def usage(self) -> dict[str, int]:
        completion = len(self.tokens)
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
        }

    def envelope(self, choices: list[dict[str, Any]], *, chunk: bool) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": f"{self.object}.chunk" if chunk and self.chat else self.object,
            "created": self.created,
            "model": self.model,
            "choices": choices,
        }

    def choice(self, text: str | None, *, chunk: bool, finish_reason: str | None = None) -> dict[str, Any]:
        if not self.chat:
            return {"index": 0, "text": text or "", "logprobs": None, "finish_reason": finish_reason}
        if chunk:
            delta: dict[str, Any] = {} if text is None else {"content": text}
            return {"index": 0, "delta": delta, "finish_reason": finish_reason}
        return {
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": finish_reason,
        }


def _count_words(value: Any) -> int:
    """Prompt "tokens": whitespace-separated words of every string in a prompt or message list."""
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        return sum(_count_words(item) for item in value)
    if isinstance(value, dict):
        return sum(_count_words(item) for key, item in value.items() if key in ("content", "text"))
    return 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    """socketserver's default listen backlog is 5: more concurrent clients than that wait for TCP's 1 s SYN retry."""
    accepted = 0
    """Connections accepted so far (counted by the serving thread alone)."""

    def process_request(self, request: Any, client_address: Any) -> None:
        self.accepted += 1
        super().process_request(request, client_address)


class FakeOpenAIBackend:
    """The fake server, in a background thread. Attributes other than `name`, `host` and `port` may be changed
    while it runs; each request reads them when it arrives."""

    def __init__(
        self,
        *,
        name: str = "fake",
        models: tuple[str, ...] = ("fake-model",),
        first_token_delay_s: float = 0.0,
        token_delay_s: float = 0.0,
        failure: Failure = "none",
        api_key: str | None = None,
        answer: Callable[[dict[str, Any]], str | list[str]] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if failure not in FAILURES:
            raise ValueError(f"failure: unknown mode (got {failure!r}; allowed: {', '.join(FAILURES)})")
        self.name = name
        self.models = models
        self.first_token_delay_s = first_token_delay_s
        self.token_delay_s = token_delay_s
        self.failure: Failure = failure
        self.api_key = api_key
        """When set, completion and model requests without `Authorization: Bearer <api_key>` get 401."""
        self.answer = answer
        """When set, the reply text is `answer(request body)` (a string is streamed word by word, a list as exactly
        those chunks) instead of `<name><i>` tokens, whatever `max_tokens` asks: for tests that score what a model
        says (PII in answers, evaluations)."""
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        """Set by `stop()`: releases requests held by `hang` and `stall_mid_stream`."""

    # lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> Self:
        self._stopping.clear()
        server = _Server((self.host, self.port), _handler_for(self))
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, args=(POLL_INTERVAL_S,), name=f"fake-openai-{self.name}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # what tests read -------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI client's base URL (ends in /v1)."""
        return f"{self.url}/v1"

    @property
    def request_count(self) -> int:
        """Completion requests received (chat and text, failed ones included)."""
        with self._lock:
            return len(self._requests)

    @property
    def connections_accepted(self) -> int:
        """TCP connections the server has accepted since it started: a client that keeps its connections alive
        opens at most as many as it has requests in flight."""
        return self._server.accepted if self._server is not None else 0

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)


def _tokens(answer: str | list[str]) -> list[str]:
    """A scripted answer's stream chunks: a list as given, a string word by word."""
    if isinstance(answer, list):
        return answer or [""]
    return [word for word in re.split(r"(?<= )", answer) if word] or [""]


def _handler_for(backend: FakeOpenAIBackend) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        pass

    Handler.backend = backend
    return Handler


class _Handler(BaseHTTPRequestHandler):
    backend: FakeOpenAIBackend
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming
    disable_nagle_algorithm = True  # headers and body are separate writes: without it, each reply waits ~40 ms

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read the request log instead."""

    # routing ---------------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        if self.path == "/health":
            self._send_json(HTTPStatus.OK, {"status": "healthy"})
        elif self.path == "/fake/stats":
            stats = {"name": self.backend.name, "requests": self.backend.request_count,
                     "connections": self.backend.connections_accepted}
            self._send_json(HTTPStatus.OK, stats)
        elif self.path == "/v1/models":
            if self._authorized():
                data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                        for m in self.backend.models]
                self._send_json(HTTPStatus.OK, {"object": "list", "data": data})
        else:
            self._send_error(HTTPStatus.NOT_FOUND, f"no route {self.path}", "not_found_error")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path not in COMPLETION_PATHS:
            self._send_error(HTTPStatus.NOT_FOUND, f"no route {self.path}", "not_found_error")
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError as error:
            self._send_error(HTTPStatus.BAD_REQUEST, f"body is not JSON: {error}", "invalid_request_error")
            return
        self.backend._record(RecordedRequest(self.path, dict(self.headers.items()), body))
        if not self._authorized():
            return
        failure = self.backend.failure
        if failure == "http_500":
            self._send_error(HTTPStatus.INTERNAL_SERVER_ERROR, "fake backend failure", "server_error")
            return
        if failure == "close" or (failure in ("close_mid_stream", "close_after_headers") and not body.get("stream")):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if failure == "hang" or (failure in ("stall_mid_stream", "stall_after_headers") and not body.get("stream")):
            self._hold()
            return
        reply = self._reply(body)
        if body.get("stream"):
            self._stream(reply, cut_after_first=failure == "close_mid_stream",
                         stall_after_first=failure == "stall_mid_stream", stall_first=failure == "stall_after_headers",
                         cut_first=failure == "close_after_headers")
        else:
            self._complete(reply)

    # replies ---------------------------------------------------------------------------------------------

    def _authorized(self) -> bool:
        expected = self.backend.api_key
        if expected is None or self.headers.get("Authorization") == f"Bearer {expected}":
            return True
        self._send_error(HTTPStatus.UNAUTHORIZED, "invalid api key", "authentication_error")
        return False

    def _reply(self, body: dict[str, Any]) -> _Reply:
        chat = self.path == "/v1/chat/completions"
        requested = body.get("max_completion_tokens") or body.get("max_tokens") or DEFAULT_MAX_TOKENS
        count = max(1, min(int(requested), MAX_TOKENS_CEILING))
        stream_options = body.get("stream_options") or {}
        answer = self.backend.answer
        tokens = _tokens(answer(body)) if answer else [f"{self.backend.name}{i} " for i in range(count)]
        return _Reply(
            chat=chat,
            model=str(body.get("model") or self.backend.models[0]),
            prompt_tokens=_count_words(body.get("messages") if chat else body.get("prompt")),
            tokens=tokens,
            include_usage=bool(stream_options.get("include_usage")),
        )

    def _token_delays(self, count: int) -> Iterator[float]:
        yield self.backend.first_token_delay_s
        for _ in range(count - 1):
            yield self.backend.token_delay_s

    def _complete(self, reply: _Reply) -> None:
        time.sleep(sum(self._token_delays(len(reply.tokens))))
        payload = reply.envelope([reply.choice("".join(reply.tokens), chunk=False, finish_reason="length")],
                                 chunk=False)
        payload["usage"] = reply.usage()
        self._send_json(HTTPStatus.OK, payload)

    def _hold(self) -> None:
        """Send nothing more until the server stops, then drop the connection."""
        self.backend._stopping.wait()
        self.close_connection = True

    def _stream(self, reply: _Reply, *, cut_after_first: bool, stall_after_first: bool = False,
                stall_first: bool = False, cut_first: bool = False) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if stall_first or cut_first:
            self.wfile.flush()
            if stall_first:
                self._hold()
            else:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            if reply.chat:  # OpenAI opens a chat stream with the role and no content
                opening = reply.choice(None, chunk=True)
                opening["delta"] = {"role": "assistant", "content": ""}
                self._event(reply.envelope([opening], chunk=True))
            for token, delay in zip(reply.tokens, self._token_delays(len(reply.tokens)), strict=True):
                time.sleep(delay)
                self._event(reply.envelope([reply.choice(token, chunk=True)], chunk=True))
                if cut_after_first:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if stall_after_first:
                    self._hold()
                    return
            self._event(reply.envelope([reply.choice(None, chunk=True, finish_reason="length")], chunk=True))
            if reply.include_usage:
                closing = reply.envelope([], chunk=True)
                closing["usage"] = reply.usage()
                self._event(closing)
            self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away; nothing left to send

    def _event(self, payload: dict[str, Any]) -> None:
        self._chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _send_json(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, status: HTTPStatus, message: str, kind: str) -> None:
        error = {"message": message, "type": kind, "param": None, "code": status.value}
        self._send_json(status, {"error": error})


class FakeBackendProcess:
    """The fake server in its own process (so a test can kill it to make a backend "down").

    `options` are this module's command-line flags, e.g. `["--token-delay", "0.01", "--name", "primary"]`.
    """

    def __init__(self, options: list[str] | None = None, *, start_timeout_s: float = 20.0) -> None:
        self.options = list(options or [])
        self.start_timeout_s = start_timeout_s
        self.base_url = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> Self:
        root = Path(__file__).resolve().parents[2]
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.openai_backend", *self.options],
            cwd=root, stdout=subprocess.PIPE, text=True,
        )
        self._process = process
        timer = threading.Timer(self.start_timeout_s, process.kill)
        timer.start()
        try:
            line = process.stdout.readline() if process.stdout else ""
        finally:
            timer.cancel()
        if not line:
            self.stop()
            raise RuntimeError(f"fake backend process did not start (exit {process.poll()})")
        self.base_url = json.loads(line)["base_url"]
        return self

    @property
    def request_count(self) -> int:
        with urlopen(self.base_url.removesuffix("/v1") + "/fake/stats", timeout=5) as response:
            return int(json.load(response)["requests"])

    def kill(self) -> None:
        """SIGKILL: the server dies mid-request, its connections reset, like a crashed or evicted pod."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
        self.stop()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="fake")
    parser.add_argument("--model", action="append", dest="models", help="a model it lists (repeatable)")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--first-token-delay", type=float, default=0.0, metavar="S")
    parser.add_argument("--token-delay", type=float, default=0.0, metavar="S")
    parser.add_argument("--failure", choices=FAILURES, default="none")
    parser.add_argument("--api-key")
    args = parser.parse_args(argv)
    backend = FakeOpenAIBackend(
        name=args.name,
        models=tuple(args.models or ["fake-model"]),
        first_token_delay_s=args.first_token_delay,
        token_delay_s=args.token_delay,
        failure=args.failure,
        api_key=args.api_key,
        port=args.port,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with backend:
        print(json.dumps({"base_url": backend.base_url}), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()


if __name__ == "__main__":
    main()
