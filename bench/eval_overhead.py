"""What `eval run` adds per case beyond the endpoint's own latency, at concurrency 32 (issue 20 target: <= 5 ms).

The endpoint is the fake OpenAI-compatible server in its own process, answering after 50 ms. First a bare client
(httpx, the same requests, the same concurrency) measures what the endpoint and the machine give; then `eval run`
scores the `assistant` starter set (its similarity checks run the embedding model) 4 times over. Overhead per
case = (eval wall - bare wall) x concurrency / runs; CPU per case = this process's CPU time in `eval run` / runs.
"""

from __future__ import annotations

import asyncio
import io
import resource
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx

from bench import Figure
from blueprints.evaluation import golden, runner
from tests.fakes.openai_backend import FakeBackendProcess

TITLE = "eval run overhead per case beyond the endpoint's latency (concurrency 32)"
LATENCY_S = 0.05
CONCURRENCY = 32
REPEATS = 4


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _bare(base_url: str, bodies: list[dict]) -> float:
    """Wall time of the same requests from a bare client."""
    gate = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(timeout=60) as client:
        async def one(body: dict) -> None:
            async with gate:
                (await client.post(f"{base_url}/chat/completions", json=body)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(body) for body in bodies))
        return time.perf_counter() - started


def run() -> list[Figure]:
    cases = golden.load("assistant")
    bodies = [{"model": "fake-model", "messages": runner.messages_for(case, None), "temperature": 0.0,
               "max_tokens": case.max_tokens or runner.DEFAULT_MAX_TOKENS} for case in cases.cases] * REPEATS
    backend = FakeBackendProcess(["--first-token-delay", str(LATENCY_S)]).start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            options = runner.RunOptions(endpoint=backend.base_url, model="fake-model", out=Path(scratch) / "warm.json",
                                        concurrency=CONCURRENCY)
            runner.run(cases, options, stream=io.StringIO())  # warm-up: loads the embedding model
            bare = asyncio.run(_bare(backend.base_url, bodies))
            measured = replace(options, out=Path(scratch) / "result.json", repeats=REPEATS)
            cpu, started = _cpu_s(), time.perf_counter()
            result = runner.run(cases, measured, stream=io.StringIO())
            wall, cpu = time.perf_counter() - started, _cpu_s() - cpu
    finally:
        backend.stop()
    runs = result.summary.cases
    detail = f"{runs} runs of {cases.name}; bare client {bare:.2f} s, eval run {wall:.2f} s"
    return [
        Figure("overhead per case beyond the endpoint", (wall - bare) * CONCURRENCY / runs * 1000, "ms", detail),
        Figure("client CPU per case", cpu / runs * 1000, "ms", "checks, embeddings, HTTP, journal"),
    ]
