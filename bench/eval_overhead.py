"""What `eval run` adds per case beyond the endpoint's own latency, at concurrency 32 (issue 20 target: <= 5 ms).

The endpoint is the fake OpenAI-compatible server in a process of its own, answering every request after a fixed
100 ms (its threads sleep, so a busy machine delays it little) with the case's reference answer, so the checks
score realistic answers. All three starter sets (150 cases, every deterministic check type, similarity and
faithfulness on the embedding model) run 8 times over: 1,200 requests per run. Each repetition runs a bare client
(httpx, a kept-alive connection per request in flight, the same requests at the same concurrency, JSON bodies
parsed) and then `eval run`; the endpoint latency is what the bare client sees. Overhead per case = (eval wall - bare
wall) x concurrency / requests, the latency a case gains beyond the endpoint's; CPU per case = this process's CPU
time in `eval run` / requests. Medians of the repetitions.
"""

from __future__ import annotations

import asyncio
import io
import json
import multiprocessing
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import httpx

from bench import Figure
from blueprints.evaluation import golden, runner
from blueprints.evaluation.golden import Case
from tests.fakes.openai_backend import FakeOpenAIBackend

TITLE = "eval run overhead per case beyond the endpoint's latency (concurrency 32)"
LATENCY_S = 0.1
CONCURRENCY = 32
REPEATS = 8
REPETITIONS = 5
SETS = ("assistant", "rag-qa", "extraction")
START_TIMEOUT_S = 30


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _answer(case: Case) -> str:
    """What a good model says: the reference, the JSON object an extraction case's schema pins, or a refusal."""
    if case.reference:
        return case.reference
    schema = next((check.value for check in case.checks if check.type == "json_schema"), None)
    if schema is None:
        return "I can't help with that."
    return json.dumps({key: rule.get("const", "") for key, rule in schema.get("properties", {}).items()})


def _serve(answers: dict[str, str], latency_s: float, pipe: Connection) -> None:
    """The endpoint's process: answers each prompt (its last user message) after `latency_s`, until told to stop."""
    def answer(body: dict[str, Any]) -> str:
        return answers[body["messages"][-1]["content"]]

    with FakeOpenAIBackend(answer=answer, first_token_delay_s=latency_s) as backend:
        pipe.send(backend.base_url)
        pipe.recv()


def _connections(base_url: str) -> int:
    """Connections the endpoint has accepted, this query's own included."""
    with urlopen(base_url.removesuffix("/v1") + "/fake/stats", timeout=5) as response:
        return int(json.load(response)["connections"])


async def _bare(base_url: str, bodies: list[dict[str, Any]]) -> None:
    """The same requests from a bare client, at the same concurrency."""
    gate = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        async def one(body: dict[str, Any]) -> None:
            async with gate:
                response = await client.post(f"{base_url}/chat/completions", json=body)
                response.raise_for_status()
                response.json()

        await asyncio.gather(*(one(body) for body in bodies))


@dataclass(frozen=True)
class _Timing:
    wall_s: float
    cpu_s: float
    connections: int


def _timed(base_url: str, action: Any) -> _Timing:
    opened = _connections(base_url)
    cpu, started = _cpu_s(), time.perf_counter()
    action()
    wall, cpu = time.perf_counter() - started, _cpu_s() - cpu
    return _Timing(wall, cpu, _connections(base_url) - opened - 1)


def run() -> list[Figure]:
    sets = [golden.load(name) for name in SETS]
    cases = golden.GoldenSet(name="+".join(SETS), version="bench", cases=tuple(c for s in sets for c in s.cases))
    answers = {runner.messages_for(case, None)[-1]["content"]: _answer(case) for case in cases.cases}
    bodies = [{"model": "fake-model", "messages": runner.messages_for(case, None),
               "max_tokens": case.max_tokens or runner.DEFAULT_MAX_TOKENS, "temperature": 0.0}
              for _ in range(REPEATS) for case in cases.cases]
    requests = len(bodies)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=_serve, args=(answers, LATENCY_S, theirs), daemon=True)
    server.start()
    bare: list[_Timing] = []
    evaluated: list[_Timing] = []
    try:
        if not ours.poll(START_TIMEOUT_S):
            raise RuntimeError(f"the fake endpoint did not start within {START_TIMEOUT_S} s")
        base_url = ours.recv()
        with tempfile.TemporaryDirectory() as scratch:
            def evaluate(out: str, repeats: int) -> None:
                options = runner.RunOptions(endpoint=base_url, model="fake-model", out=Path(scratch) / out,
                                            concurrency=CONCURRENCY, repeats=repeats)
                result = runner.run(cases, options, stream=io.StringIO())
                if result.summary.errors:
                    raise RuntimeError(f"{result.summary.errors} requests failed: the measurement is void")

            evaluate("warm.json", 1)  # loads the embedding model, warms both sides
            for repetition in range(REPETITIONS):
                bare.append(_timed(base_url, lambda: asyncio.run(_bare(base_url, bodies))))
                evaluated.append(_timed(base_url, lambda r=repetition: evaluate(f"run{r}.json", REPEATS)))
    finally:
        ours.send("stop")
        server.join(10)
        if server.is_alive():
            server.kill()
    overheads = sorted((e.wall_s - b.wall_s) * CONCURRENCY / requests * 1000 for b, e in zip(bare, evaluated,
                                                                                           strict=True))
    bare_wall = statistics.median(t.wall_s for t in bare)
    eval_wall = statistics.median(t.wall_s for t in evaluated)
    endpoint_ms = bare_wall * CONCURRENCY / requests * 1000
    detail = (f"{REPETITIONS} repetitions of {requests} requests ({len(cases.cases)} cases x {REPEATS}), fake endpoint "
              f"{LATENCY_S * 1000:.0f} ms; median walls: bare client {bare_wall:.2f} s ({endpoint_ms:.0f} ms per "
              f"request), eval run {eval_wall:.2f} s; range {overheads[0]:.1f} to {overheads[-1]:.1f} ms; "
              f"connections opened per run: bare {max(t.connections for t in bare)}, "
              f"eval {max(t.connections for t in evaluated)}")
    bare_cpu = statistics.median(t.cpu_s for t in bare) / requests * 1000
    return [
        Figure("overhead per case beyond the endpoint", statistics.median(overheads), "ms", detail),
        Figure("client CPU per case", statistics.median(t.cpu_s for t in evaluated) / requests * 1000, "ms",
               f"HTTP, checks, embeddings, journal; the bare client: {bare_cpu:.2f} ms per request"),
    ]
