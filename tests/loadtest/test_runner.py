"""Short, bounded load tests against the local fake backend: the harness measures what the fake does."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from blueprints.loadtest import (
    Fixed,
    FixedConcurrency,
    LoadTestConfig,
    PoissonArrivals,
    Progress,
    SloGates,
    Target,
    Uniform,
    Workload,
    evaluate_gates,
    measure_added_latency,
    run_loadtest,
)
from tests.fakes.openai_backend import FakeOpenAIBackend
from tests.loadtest.delaying_proxy import DelayingProxy

pytestmark = pytest.mark.integration

FIRST_TOKEN_S = 0.08
TOKEN_S = 0.02
TOKENS = 12
# Delays are lower bounds of what the harness can measure; a busy CI machine only adds to them. The upper
# margins are loose but keep TTFT, ITL and E2E apart (TTFT + SLACK < E2E), so measuring the wrong event fails.
SLACK_S = 0.1


def _config(base_url: str, arrivals: FixedConcurrency | PoissonArrivals, **workload: object) -> LoadTestConfig:
    fields: dict[str, object] = {"output_tokens": Fixed(value=TOKENS), "input_tokens": Fixed(value=16),
                                 "duration_s": 5.0, "max_requests": 24, "request_timeout_s": 10.0, **workload}
    return LoadTestConfig(
        target=Target(base_url=base_url, model="fake-model", api_key="sk-load"),
        workload=Workload(arrivals=arrivals, **fields),  # type: ignore[arg-type]
        progress_interval_s=0.25,
    )


def test_fixed_concurrency_measures_the_backends_delays() -> None:
    progress: list[Progress] = []
    with FakeOpenAIBackend(first_token_delay_s=FIRST_TOKEN_S, token_delay_s=TOKEN_S) as backend:
        report = run_loadtest(_config(backend.base_url, FixedConcurrency(users=4)), progress.append)
        received = backend.requests
    summary = report.summary
    assert (summary.requests, summary.failed, len(received)) == (24, 0, 24), "max_requests bounds the run"
    assert FIRST_TOKEN_S <= summary.ttft_ms.p50 / 1000 < FIRST_TOKEN_S + SLACK_S  # type: ignore[operator]
    assert TOKEN_S <= summary.itl_ms.p50 / 1000 < 2 * TOKEN_S  # type: ignore[operator]
    assert TOKEN_S * 0.9 <= summary.tpot_ms.p50 / 1000 < 2 * TOKEN_S  # type: ignore[operator]
    expected_e2e = FIRST_TOKEN_S + (TOKENS - 1) * TOKEN_S
    assert expected_e2e <= summary.e2e_ms.p50 / 1000 < expected_e2e + 2 * SLACK_S  # type: ignore[operator]
    assert summary.output_tokens.p50 == TOKENS
    assert summary.output_tokens_per_s.p50 == pytest.approx(
        TOKENS / (summary.e2e_ms.p50 / 1000), rel=0.2)  # type: ignore[operator]
    assert summary.goodput.requests == 24
    body = received[0].body
    assert body["stream"] is True and body["max_tokens"] == TOKENS and body["model"] == "fake-model"
    assert len(body["messages"][0]["content"].split()) == 16
    assert received[0].headers["Authorization"] == "Bearer sk-load"
    assert progress and progress[-1].completed == 24 and progress[-1].in_flight == 0


def test_poisson_arrivals_hold_the_rate_and_the_duration_bounds_the_run() -> None:
    with FakeOpenAIBackend(first_token_delay_s=0.01, token_delay_s=0.002) as backend:
        config = _config(backend.base_url, PoissonArrivals(rate_rps=40, max_in_flight=16),
                         duration_s=1.5, max_requests=10_000, output_tokens=Uniform(low=2, high=6))
        started = time.monotonic()
        report = run_loadtest(config)
        elapsed = time.monotonic() - started
    summary = report.summary
    assert 30 <= summary.requests <= 95, "about 40/s for 1.5 s"
    assert max(s.start_s - s.dispatch_lag_s for s in report.samples) < 1.5, "none was due after the end"
    assert elapsed < 1.5 + 10, "the run stops at its duration"
    assert summary.failed == 0
    assert {s.max_tokens for s in report.samples} <= {2, 3, 4, 5, 6}
    assert summary.dispatch_lag_ms.count == summary.requests


def test_a_failing_backend_raises_the_error_ratio_and_fails_the_gate() -> None:
    with FakeOpenAIBackend(failure="http_500") as backend:
        report = run_loadtest(_config(backend.base_url, FixedConcurrency(users=2), max_requests=6))
    assert (report.summary.requests, report.summary.error_ratio) == (6, 1.0)
    assert list(report.summary.errors) == ['HTTP 500: {"error": {"message": "fake backend failure", '
                                           '"type": "server_error", "param": null, "code": 500}}']
    [gate] = evaluate_gates(report, SloGates(max_error_ratio=0.01))
    assert not gate.passed


@pytest.mark.parametrize("failure", ["close", "close_mid_stream"])
def test_dropped_connections_are_errors(failure: str) -> None:
    with FakeOpenAIBackend(failure=failure) as backend:  # type: ignore[arg-type]
        report = run_loadtest(_config(backend.base_url, FixedConcurrency(users=2), max_requests=4))
    assert (report.summary.requests, report.summary.failed) == (4, 4)
    assert all(s.status in (0, 200) and s.error for s in report.samples)


def test_unreachable_target_is_an_error_per_request_not_a_crash() -> None:
    with FakeOpenAIBackend() as backend:
        base_url = backend.base_url
    report = run_loadtest(_config(base_url, FixedConcurrency(users=1), max_requests=3))
    assert report.summary.failed == 3
    assert all(s.status == 0 and s.error and s.error.startswith("connection") for s in report.samples)


def test_gateway_added_latency_is_measured_in_one_interleaved_run() -> None:
    delay_s = 0.05
    with FakeOpenAIBackend(first_token_delay_s=0.02, token_delay_s=0.005) as backend, \
            DelayingProxy(backend.url, delay_s) as proxy:
        config = _config(proxy.base_url, FixedConcurrency(users=2), max_requests=20)
        config = config.model_copy(update={"target": config.target.model_copy(update={"name": "gateway"})})
        direct = Target(name="direct", base_url=backend.base_url, model="fake-model")
        comparison = measure_added_latency(config, direct)
        received = backend.requests
    assert comparison.direct.summary.requests == comparison.gateway.summary.requests == 10
    assert proxy.forwarded == 10 and len(received) == 20
    added = comparison.added
    # medians of two different sets of requests: their difference carries the noise of both
    assert 0.8 * delay_s <= added.ttft_p50_ms / 1000 < delay_s + SLACK_S  # type: ignore[operator]
    assert 0.8 * delay_s <= added.e2e_p50_ms / 1000 < delay_s + SLACK_S  # type: ignore[operator]
    assert abs(added.itl_p50_ms) < 5  # type: ignore[arg-type]
    prompts = Counter(r.body["messages"][0]["content"] for r in received)
    assert set(prompts.values()) == {2}, "each prompt went once directly and once through the gateway"
    keys = Counter(r.headers.get("Authorization") for r in received)
    assert keys == {"Bearer sk-load": 10, None: 10}, "each target is sent its own key"


def test_direct_target_needs_its_own_name() -> None:
    from blueprints.errors import BlueprintError

    config = _config("http://127.0.0.1:9/v1", FixedConcurrency(users=1))
    with pytest.raises(BlueprintError, match="other than 'target'"):
        measure_added_latency(config, config.target)


def test_non_streaming_requests_are_timed_end_to_end() -> None:
    with FakeOpenAIBackend(first_token_delay_s=FIRST_TOKEN_S, token_delay_s=TOKEN_S) as backend:
        report = run_loadtest(_config(backend.base_url, FixedConcurrency(users=2), max_requests=6, stream=False))
        received = backend.requests
    summary = report.summary
    assert (summary.requests, summary.failed) == (6, 0)
    assert "stream" not in received[0].body
    assert summary.output_tokens.p50 == TOKENS, "counted from the answer's usage"
    assert summary.ttft_ms.p50 is None, "a whole answer has no first token of its own"
    expected_e2e = FIRST_TOKEN_S + (TOKENS - 1) * TOKEN_S
    assert expected_e2e <= summary.e2e_ms.p50 / 1000 < expected_e2e + 2 * SLACK_S  # type: ignore[operator]
