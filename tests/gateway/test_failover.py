"""The gateway's failure settings, proven on the real, pinned LiteLLM proxy (real Redis, fake model servers on
127.0.0.1): a model server killed mid-load, one that hangs, one whose streams stall and one whose streams are cut.

The config is the regulated-industry (prod) gateway config as generated, with the model addresses rewritten to the
fakes and three extra self-hosted models (one per failure, each falling back to `reg-small`, so that one model's
cooldown does not hide the next failure). SLOs and the max_tokens ceiling are scaled down to the fakes' speed:
timeouts are derived from them (2 x the longest answer / first token the p95 targets allow), which is what keeps
an outage short. Outage latency is compared with a baseline of the same load on the same model just before.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

import pytest

from blueprints.gateway.litellm_config import deployment_timeouts
from blueprints.presets import load_spec
from tests.fakes.openai_backend import FakeBackendProcess, FakeOpenAIBackend
from tests.gateway import test_litellm_proxy as proxy_test
from tests.support.litellm_proxy import (
    LITELLM,
    MASTER_KEY,
    START_TIMEOUT_S,
    start_proxy,
    stop,
    wait_for,
    write_gateway_files,
)

pytestmark = pytest.mark.integration
redis = proxy_test.redis_port
"""The proxy tests' module-scoped Redis on 127.0.0.1 (its port), as this module's fixture `redis`."""

TOKENS = 8
"""Tokens per answer, and the gateway's max_tokens ceiling in this spec."""
TOKEN_DELAY_S = 0.01
CONCURRENCY = 4
BASELINE_REQUESTS = 16
OUTAGE_REQUESTS = 32
FAULT_AFTER = 6
"""Requests of the outage load that complete before the fault is injected: the fault hits a loaded server."""
REQUEST_TIMEOUT_S = 20.0
LOAD_DEADLINE_S = 40.0
FALLBACK = "reg-small"
FAST = {"slo": {"ttft_p95_ms": 200, "tpot_p95_ms": 40}, "traffic": {"input_tokens": 100, "output_tokens": TOKENS}}
"""reg-large, scaled down to the fakes: the planner still has to find it servable (TP4 on L40S: ~37 ms a token)."""
FAILING = ("reg-hung", "reg-stall", "reg-cut", "reg-mute")


def small_model(name: str) -> dict:
    return {"name": name, "model": "llama-3.1-8b", "gpu_pool": "l40s", "checkpoint": "nvidia/Llama-3.1-8B-Instruct-FP8",
            "versions": {"stable": "2026-11-01"}, "slo": {"ttft_p95_ms": 200, "tpot_p95_ms": 15},
            "traffic": {"input_tokens": 100, "output_tokens": TOKENS}}


SPEC_OVERRIDES = {
    "serving": {"models": [FAST, {}, *(small_model(name) for name in FAILING)]},
    "gateway": {"max_tokens": TOKENS, "fallbacks": {name: [FALLBACK] for name in ("reg-large", *FAILING)}},
}


@dataclass
class Outcome:
    """One request as the client saw it."""

    status: int | str
    seconds: float
    text: str = ""
    done: bool = False
    """A streamed answer ended with `data: [DONE]`."""
    error: dict | None = None
    """The SSE error event a stream ended with (or the JSON error body)."""

    @property
    def complete(self) -> bool:
        words = self.text.split()
        return (self.status == 200 and self.error is None and len(words) == TOKENS
                and len({word.rstrip("0123456789") for word in words}) == 1)


@dataclass
class Gateway:
    url: str
    backends: dict[str, FakeOpenAIBackend] = field(default_factory=dict)
    killable: FakeBackendProcess | None = None
    timeouts: dict[str, dict[str, float]] = field(default_factory=dict)

    def ask(self, model: str, *, stream: bool) -> Outcome:
        body = {"model": model, "messages": [{"role": "user", "content": f"hello {uuid.uuid4()}"}],
                "max_tokens": TOKENS, "stream": stream}
        request = Request(f"{self.url}/v1/chat/completions", json.dumps(body).encode(),
                          {"Content-Type": "application/json", "Authorization": f"Bearer {MASTER_KEY}"})
        started = time.monotonic()
        try:
            with urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
                outcome = Outcome(response.status, 0.0)
                if stream:
                    for line in response:
                        data = line.decode().strip().removeprefix("data: ")
                        if data == "[DONE]":
                            outcome.done = True
                        elif data.startswith("{"):
                            event = json.loads(data)
                            if "error" in event:
                                outcome.error = event["error"]
                            elif event.get("choices"):
                                outcome.text += event["choices"][0]["delta"].get("content") or ""
                else:
                    outcome.text = json.load(response)["choices"][0]["message"]["content"]
        except HTTPError as error:
            outcome = Outcome(error.code, 0.0, error=json.loads(error.read() or b"{}").get("error"))
        except (URLError, OSError) as error:
            outcome = Outcome(type(error).__name__, 0.0)
        outcome.seconds = time.monotonic() - started
        return outcome

    def load(self, model: str, count: int, *, streams: tuple[bool, ...] = (False,),
             fault: object = None) -> list[Outcome]:
        """`count` requests, CONCURRENCY at a time, alternating `streams`; `fault()` runs once FAULT_AFTER of them
        have completed. Bounded by LOAD_DEADLINE_S."""
        deadline = time.monotonic() + LOAD_DEADLINE_S
        outcomes: list[Outcome] = []
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            futures = [pool.submit(self.ask, model, stream=streams[i % len(streams)]) for i in range(count)]
            for future in as_completed(futures, timeout=max(1.0, deadline - time.monotonic())):
                outcomes.append(future.result())
                if fault is not None and len(outcomes) == FAULT_AFTER:
                    fault()  # type: ignore[operator]
        return outcomes


def p99(outcomes: list[Outcome]) -> float:
    ordered = sorted(outcome.seconds for outcome in outcomes)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def assert_outage_short(baseline: list[Outcome], outage: list[Outcome], label: str, waited_s: float = 0.0) -> None:
    """The outage's p99 is at most the usual p99 plus `waited_s` (a hung server's timeout, waited once before the
    fallback) plus a second of headroom for a loaded machine: no retry backoff, no second wait."""
    normal, during = p99(baseline), p99(outage)
    allowed = max(2 * normal, normal + 1.0) + waited_s
    print(f"\n{label}: p99 {during:.2f} s during the outage vs {normal:.2f} s before (allowed: {allowed:.2f} s)")
    assert during <= allowed


@pytest.fixture(scope="module")
def gateway(redis: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    if not LITELLM.exists():
        pytest.skip(f"LiteLLM proxy not installed at {LITELLM} (pip install 'litellm[proxy]==1.81.16' there)")
    spec = load_spec("regulated-industry", "prod", overrides=SPEC_OVERRIDES)
    killable = FakeBackendProcess(["--name", "primary", "--token-delay", str(TOKEN_DELAY_S)]).start()
    backends = {name: FakeOpenAIBackend(name=name.removeprefix("reg-"), token_delay_s=TOKEN_DELAY_S).start()
                for name in (FALLBACK, *FAILING)}
    process = None
    try:
        endpoints = {"reg-large": killable.base_url, **{name: backend.base_url for name, backend in backends.items()}}
        directory = tmp_path_factory.mktemp("failover")
        write_gateway_files(directory, spec, "eu-central-1", endpoints)
        process, url = start_proxy(directory, "config.yaml", spec, redis)
        gateway = Gateway(url, backends, killable,
                          {model.name: deployment_timeouts(spec, model) for model in spec.serving.models})
        wait_for(f"{gateway.url}/health/liveliness", START_TIMEOUT_S, process)
        # The fallback serves its own traffic in production: warm, like the failing models' first requests.
        gateway.load(FALLBACK, CONCURRENCY, streams=(False, True))
        yield gateway
    finally:
        if process is not None:
            stop(process)
        killable.stop()
        for backend in backends.values():
            backend.stop()


def test_timeouts_come_from_the_slo(gateway: Gateway) -> None:
    """2 x (TTFT p95 + max_tokens x TPOT p95) for a whole answer, 2 x TTFT p95 for the first token."""
    assert gateway.timeouts["reg-hung"] == {"timeout": 0.64, "stream_timeout": 0.4}


def test_a_server_killed_mid_load_loses_nothing_and_costs_no_retry_delay(gateway: Gateway) -> None:
    baseline = gateway.load("reg-large", BASELINE_REQUESTS)
    assert all(outcome.complete and outcome.text.startswith("primary0") for outcome in baseline)
    assert gateway.killable is not None
    outage = gateway.load("reg-large", OUTAGE_REQUESTS, fault=gateway.killable.kill)
    assert [outcome for outcome in outage if not outcome.complete] == []
    assert sum(outcome.text.startswith("small0") for outcome in outage) >= OUTAGE_REQUESTS - FAULT_AFTER - CONCURRENCY
    assert_outage_short(baseline, outage, "killed server")


def test_a_hung_server_fails_over_after_its_timeout_and_cools_down(gateway: Gateway) -> None:
    hung = gateway.backends["reg-hung"]
    baseline = gateway.load("reg-hung", BASELINE_REQUESTS, streams=(False, True))
    assert all(outcome.complete and outcome.text.startswith("hung0") for outcome in baseline)

    def hang() -> None:
        hung.failure = "hang"
        hung.reset()

    outage = gateway.load("reg-hung", OUTAGE_REQUESTS, streams=(False, True), fault=hang)
    assert [outcome for outcome in outage if not outcome.complete] == []
    # Cooldown engaged: after `allowed_fails` + 1 timeouts (plus those already in flight) it got no more requests.
    assert hung.request_count <= CONCURRENCY + 2
    assert_outage_short(baseline, outage, "hung server", waited_s=gateway.timeouts["reg-hung"]["timeout"])


def test_a_stream_that_stalls_ends_with_an_error_event_then_the_model_cools_down(gateway: Gateway) -> None:
    stalling = gateway.backends["reg-stall"]
    stalling.failure = "stall_mid_stream"
    outage = gateway.load("reg-stall", OUTAGE_REQUESTS, streams=(True,))
    broken = [outcome for outcome in outage if not outcome.complete]
    # Every request either completes or ends with an error the client can see: never [DONE] on a partial answer.
    assert all(outcome.error is not None and not outcome.done for outcome in broken)
    assert all(outcome.text in ("", "stall0 ") for outcome in broken)
    # Broken streams cool the deployment down (our hook): only those in flight until then are cut.
    assert len(broken) <= CONCURRENCY + 2
    assert stalling.request_count == len(broken)


def test_a_server_that_sends_headers_then_nothing_fails_visibly_then_cools_down(gateway: Gateway) -> None:
    """LiteLLM raises its stream timeout before any chunk instead of falling back: those requests get HTTP 408
    (an error the client sees and may retry); our hook cools the deployment down, so the rest fall back."""
    mute = gateway.backends["reg-mute"]
    mute.failure = "stall_after_headers"
    outage = gateway.load("reg-mute", OUTAGE_REQUESTS, streams=(True,))
    failed = [outcome for outcome in outage if not outcome.complete]
    assert all(outcome.status == 408 and outcome.error is not None for outcome in failed)
    assert len(failed) <= CONCURRENCY + 2
    assert mute.request_count == len(failed)


def test_a_cut_stream_ends_with_an_error_event_not_a_spliced_answer(gateway: Gateway) -> None:
    cutting = gateway.backends["reg-cut"]
    cutting.failure = "close_mid_stream"
    fallback_requests = gateway.backends[FALLBACK].request_count
    outcome = gateway.ask("reg-cut", stream=True)
    assert outcome.status == 200  # the stream had started
    # The model sent "cut0 " before the cut: a word with a digit could still grow into a value, so the masking
    # guardrail held it, and a cut stream never releases what it holds; the client gets the error event only.
    assert outcome.text == ""
    assert outcome.error is not None and not outcome.done
    assert "not completed by another model" in outcome.error["message"]
    # LiteLLM would have continued the answer on the fallback; nothing was sent there.
    assert gateway.backends[FALLBACK].request_count == fallback_requests


def test_a_stream_cut_before_any_content_is_answered_by_the_fallback_as_asked(gateway: Gateway) -> None:
    """Nothing reached the client, so the fallback answers in full, with the client's messages only (not LiteLLM's
    continuation prompt)."""
    cutting, fallback = gateway.backends["reg-cut"], gateway.backends[FALLBACK]
    cutting.failure = "close_after_headers"
    outcome = gateway.ask("reg-cut", stream=True)
    assert outcome.complete and outcome.done and outcome.text.startswith("small0")
    messages = fallback.requests[-1].body["messages"]
    assert [message["role"] for message in messages] == ["user"]
