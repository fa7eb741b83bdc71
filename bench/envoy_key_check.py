"""What LiteLLM still costs per model request on the Envoy data plane: Envoy's extAuth asks LiteLLM's `/key/health`
about the caller's virtual key (blueprints/gateway/envoy_data_plane.py key_check_policy) instead of LiteLLM carrying
the whole request. One real DB-mode LiteLLM 1.81.16 proxy (the rendered startup-mvp config with our hooks, an embedded
Postgres, one worker pinned to one core) answers, with the same virtual key and in turn, the key check as Envoy sends
it and a non-streamed chat completion to the fake backend; the figure is the proxy's CPU time per answer of each.
Every run is bounded in requests and seconds."""

from __future__ import annotations

import http.client
import itertools
import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from bench import Figure
from bench.gateway_overhead import PROXY_CORE, pin_away_from_proxy, process_cpu_s, without_admission_limits
from blueprints.gateway import master_key_auth
from blueprints.gateway.envoy_data_plane import key_check_policy
from blueprints.spec import PlatformSpec
from tests.access.conftest import OPENAI_MODEL, START_DB_MODE_S, gateway_spec
from tests.fakes.openai_backend import FakeBackendProcess
from tests.support.litellm_db import litellm_database
from tests.support.litellm_proxy import (
    LITELLM,
    MASTER_KEY,
    redis_server,
    start_proxy,
    stop,
    wait_for,
    write_gateway_files,
)

TITLE = "Envoy data plane: LiteLLM CPU per key check (/key/health) vs per completion, DB-mode proxy on 1 core"

USERS = 16
RUN_S = 3.0
MAX_REQUESTS = 2000
WARMUP_REQUESTS = 50


class Sender:
    """Sends one POST per call over the calling thread's keep-alive connection and returns the status; keeps the
    first non-200 answer for the error when none succeeds. `body` makes each request's body."""

    def __init__(self, url: str, path: str, headers: dict[str, str], body: Callable[[], bytes]):
        self._address, self._path, self._headers, self._body = urlsplit(url), path, headers, body
        self._connections: dict[int, http.client.HTTPConnection] = {}
        self.failure = ""

    def __call__(self) -> int:
        ident = threading.get_ident()
        if ident not in self._connections:
            self._connections[ident] = http.client.HTTPConnection(self._address.hostname, self._address.port,
                                                                   timeout=30)
        connection = self._connections[ident]
        connection.request("POST", self._path, body=self._body(), headers=self._headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200 and not self.failure:
            self.failure = f"{response.status} {answer[:300]!r}"
        return response.status


def chat_body() -> Callable[[], bytes]:
    """Completion bodies, each with a prompt not asked before: the config's response cache answers a repeated one
    (8.2 ms of proxy CPU per answer with one fixed prompt, 2026-12-04, against a full completion's cost)."""
    numbers = itertools.count()
    return lambda: json.dumps({"model": OPENAI_MODEL["name"], "max_tokens": 16, "messages": [
        {"role": "user", "content": f"hello number {next(numbers)}"}]}).encode()


def _cpu_ms_per_ok(send: Sender, pid: int) -> tuple[float, int]:
    """USERS closed-loop workers for at most RUN_S or MAX_REQUESTS; the proxy's CPU ms per 200 answer."""
    sent = [0]

    def worker() -> int:
        ok = 0
        while time.monotonic() < deadline and sent[0] < MAX_REQUESTS:
            sent[0] += 1
            ok += send() == 200
        return ok

    for _ in range(WARMUP_REQUESTS):
        send()
    deadline, before = time.monotonic() + RUN_S, process_cpu_s(pid)
    with ThreadPoolExecutor(USERS) as pool:
        ok = sum(pool.map(lambda _: worker(), range(USERS)))
    if ok == 0:
        raise RuntimeError(f"no request answered 200: {send.failure}")
    return (process_cpu_s(pid) - before) * 1000 / ok, ok


@dataclass(frozen=True)
class KeyChecker:
    """A DB-mode LiteLLM pinned to PROXY_CORE and one virtual key it issued for the fake backend's model."""

    url: str
    pid: int
    key: str


def write_files(directory: Path, spec: PlatformSpec) -> None:
    """The rendered gateway files and the master key file, the config without its models' admission limits (the
    runs send chat-openai far more than the 120 requests a minute it admits)."""
    write_gateway_files(directory, spec, spec.regions[0])
    config = directory / "config.yaml"
    config.write_text(yaml.safe_dump(without_admission_limits(yaml.safe_load(config.read_text()))))
    (directory / "master-key").write_text(MASTER_KEY)


@contextmanager
def key_checker(backend_url: str) -> Iterator[KeyChecker]:
    """The rendered startup-mvp gateway config with our hooks on an embedded Postgres and its response cache on a
    local `redis-server` (without one, every completion's cache write retries the connection on LiteLLM's thread
    pool: 10 s per completion at concurrency 16), `chat-openai` on `backend_url`."""
    if not LITELLM.exists():
        raise RuntimeError(f"LiteLLM proxy not installed at {LITELLM} (make litellm-venv)")
    with litellm_database() as database_url, redis_server() as redis_port, \
            tempfile.TemporaryDirectory(prefix="bench-keycheck-") as tmp:
        directory = Path(tmp)
        spec = gateway_spec(backend_url)
        write_files(directory, spec)
        process, url = start_proxy(directory, "config.yaml", spec, redis_port=redis_port, database_url=database_url,
                                   cpus=str(PROXY_CORE), extra_env={
                                       "OPENAI_API_KEY": "sk-openai-test",
                                       master_key_auth.KEY_FILE_VARIABLE: str(directory / "master-key")})
        try:
            wait_for(f"{url}/health/liveliness", START_DB_MODE_S, process)
            admin = {"Authorization": f"Bearer {MASTER_KEY}", "Content-Type": "application/json"}
            issue = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=60)
            issue.request("POST", "/key/generate", body=json.dumps({"models": [OPENAI_MODEL["name"]]}), headers=admin)
            yield KeyChecker(url, process.pid, json.loads(issue.getresponse().read())["key"])
        finally:
            stop(process)


def run() -> list[Figure]:
    pin_away_from_proxy()
    with FakeBackendProcess() as backend, key_checker(backend.base_url) as litellm:
        auth = key_check_policy()["spec"]["extAuth"]
        check = Sender(litellm.url, auth["http"]["pathOverride"],
                       {name: f"Bearer {litellm.key}" for name in auth["headersToExtAuth"]}, lambda: b"")
        chat = Sender(litellm.url, "/v1/chat/completions",
                      {"Authorization": f"Bearer {litellm.key}", "Content-Type": "application/json"}, chat_body())
        check_ms, checks = _cpu_ms_per_ok(check, litellm.pid)
        chat_ms, chats = _cpu_ms_per_ok(chat, litellm.pid)
    return [
        Figure("key check (/key/health)", check_ms, "ms CPU/request",
               f"{1000 / check_ms:.0f}/s per core; {checks} answers at concurrency {USERS}"),
        Figure("chat completion (same proxy, same key)", chat_ms, "ms CPU/request",
               f"{1000 / chat_ms:.0f}/s per core; {chats} answers; key check = {check_ms / chat_ms:.2f}x"),
    ]
