"""bench/gateway_overhead.py's throughput reading of a run (the benchmark itself runs in `make bench`)."""

from datetime import UTC, datetime

import pytest

from bench.gateway_overhead import closed_loop_rps, local_config
from blueprints.gateway.litellm_config import litellm_config
from blueprints.loadtest import Fixed, FixedConcurrency, LoadTestConfig, Target, Workload
from blueprints.loadtest.protocol import RequestSample
from blueprints.loadtest.report import LoadTestReport
from blueprints.presets import load_spec

TARGET = Target(name="gateway", base_url="http://127.0.0.1:1/v1", model="m")


def _report(samples: list[RequestSample], users: int) -> LoadTestReport:
    workload = Workload(arrivals=FixedConcurrency(users=users), input_tokens=Fixed(value=64),
                        output_tokens=Fixed(value=16), duration_s=2.5, max_requests=3000)
    config = LoadTestConfig(target=TARGET, workload=workload, window_s=0.5)
    return LoadTestReport.build(config, TARGET, samples, datetime.now(UTC))


def _sample(index: int, start_s: float, e2e_s: float) -> RequestSample:
    return RequestSample(endpoint="chat", index=index, start_s=start_s, input_tokens=64, max_tokens=16, ok=True,
                         status=200, e2e_s=e2e_s, output_tokens=16)


def test_a_run_shorter_than_its_requests_reads_what_completed_per_second():
    # 64 users, every request 3 s: all start in the first half-second window and the run ends before any repeats.
    # The median of start windows read 64 / 0.5 s = 128/s; the server completed 64 in 3 s.
    report = _report([_sample(i, 0.01 * (i % 8), 3.0) for i in range(64)], users=64)
    assert closed_loop_rps(report) == pytest.approx(64 / 3.07, rel=0.01)


def test_a_steady_run_reads_its_rate():
    # 16 users, 0.1 s each, back to back for 2.5 s: 160 requests/s.
    samples = [_sample(16 * n + u, 0.1 * n, 0.1) for n in range(25) for u in range(16)]
    assert closed_loop_rps(_report(samples, users=16)) == pytest.approx(160, rel=0.01)


def test_the_bench_measures_the_gateway_not_the_presets_admission_limits():
    # regulated-industry's reg-large admits 480 requests a minute (rpm, from its sizing): the bench sends more than
    # that across its runs, and LiteLLM's router then held requests for seconds (p50 4.7 s at concurrency 16, the
    # proxy idle), which measured the limit, not the gateway's cost. The limits themselves are tested with the
    # real proxy in tests/gateway.
    spec = load_spec("regulated-industry", "prod")
    backends = {model.name: "http://127.0.0.1:1/v1" for model in spec.serving.models}
    rendered = litellm_config(spec, spec.regions[0], backends)
    assert any("rpm" in entry["litellm_params"] for entry in rendered["model_list"])
    config = local_config(spec, "http://127.0.0.1:1/v1", "http://127.0.0.1:2")
    assert not [entry["model_name"] for entry in config["model_list"]
                if {"rpm", "tpm"} & set(entry["litellm_params"])]
