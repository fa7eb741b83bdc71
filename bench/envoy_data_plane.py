"""What a model request costs on the Envoy data plane, measured with a real Envoy: the key check and the key id of
blueprints/gateway/envoy_data_plane.py in Envoy 1.40.0 (tests/support/envoy.py: ext_authz to LiteLLM's
`/key/health`, the Lua key id, one route to the fake backend), asking one real DB-mode LiteLLM 1.81.16 about a
virtual key. Envoy (one worker thread) and LiteLLM (one worker) share one core, so the closed-loop throughput is what
one gateway core carries on this path; each process's CPU time per request is read too. Not on this path here:
Envoy AI Gateway's external processor (body-based routing) and the global rate-limit service, whose binaries do not
install on this machine. Every run is bounded in requests and seconds."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench import Figure
from bench.envoy_key_check import key_checker
from bench.gateway_overhead import PROXY_CORE, Measured, measure_load, pin_away_from_proxy, process_cpu_s
from blueprints.loadtest import Target
from tests.fakes.openai_backend import FakeBackendProcess
from tests.support.envoy import envoy

TITLE = "Envoy data plane: a real Envoy (LiteLLM key check + key id) and its LiteLLM on 1 core, vs the backend direct"

CONCURRENCY = (1, 16)
RUN_S = 2.5
WARMUP_S = 1.0


def _through(target: Target, users: int, stream: bool, envoy_pid: int, litellm_pid: int) -> tuple[Measured, float]:
    """A run through Envoy and LiteLLM's CPU ms per successful request over it (Envoy's is in the Measured)."""
    before = process_cpu_s(litellm_pid)
    measured = measure_load(target, users, stream, RUN_S, proxy=envoy_pid)
    return measured, (process_cpu_s(litellm_pid) - before) * 1000 / measured.succeeded


def run() -> list[Figure]:
    pin_away_from_proxy()
    figures: list[Figure] = []
    with ExitStack() as stack:
        backend = stack.enter_context(FakeBackendProcess())
        litellm = stack.enter_context(key_checker(backend.base_url))
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-envoy-")))
        proxy = stack.enter_context(envoy(directory, litellm.url, backend.base_url, cpus=str(PROXY_CORE)))
        direct_target = Target(name="direct", base_url=backend.base_url, model="fake-model")
        envoy_target = Target(name="envoy", base_url=f"{proxy.url}/v1", model="fake-model", api_key=litellm.key)
        measure_load(envoy_target, 16, False, WARMUP_S)
        for stream in (False, True):
            for users in CONCURRENCY:
                straight = measure_load(direct_target, users, stream, RUN_S)
                through, litellm_ms = _through(envoy_target, users, stream, proxy.process.pid, litellm.pid)
                envoy_ms = through.cpu_ms or 0.0
                figures.append(Figure(
                    f"{'stream' if stream else 'json'} c{users}", through.rps, "req/s on 1 core",
                    f"Envoy {envoy_ms:.2f} + LiteLLM key check {litellm_ms:.2f} ms CPU/request = "
                    f"{1000 / (envoy_ms + litellm_ms):.0f}/s per core; direct {straight.rps:.0f}/s; added p50 "
                    f"{through.p50_ms - straight.p50_ms:+.1f} ms, p99 {through.p99_ms - straight.p99_ms:+.1f} ms"
                    + (f"; {through.failed} failed" if through.failed else "")))
    return figures
