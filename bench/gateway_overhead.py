"""What the gateway costs: the fake model backend measured directly and through the real, pinned LiteLLM proxy,
with the project's own load harness (blueprints.loadtest), in one run.

The proxy runs the config the gateway component renders for the saas and regulated-industry prod presets, with
their callbacks (Prometheus, the max-tokens and stream hooks, S3 audit, OpenTelemetry), JSON logs, Redis cache,
shared router state and guardrails on. Only addresses are rewritten: models go to the fake backend (hosted models
too), the audit bucket to a local moto S3, traces to a local sink, Redis to a local `redis-server`. saas' semantic
cache becomes the exact Redis cache (Debian's redis-server has no vector search module); everything else is as
rendered. The proxy is pinned to one core (`taskset`), one worker; the load generator, backend, Redis and moto
share the other cores. Every run is bounded in requests and time, the whole benchmark in about two minutes.

Throughput is the requests completed per second of each run (`closed_loop_rps`), after a warm-up; added latency is the
gateway's end-to-end percentile minus the direct one at the same concurrency. On a busy machine the proxy's core
is shared, so its CPU time per request (from /proc) is also reported: 1000 / that is what one core sustains.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import Figure
from blueprints.gateway.litellm_config import SELF_HOSTED_API_KEY, litellm_config
from blueprints.gateway.manifests import AUDIT_BUCKET_ENV
from blueprints.loadtest import Fixed, FixedConcurrency, LoadTestConfig, Target, Workload, run_loadtest
from blueprints.loadtest.report import LoadTestReport
from blueprints.presets import load_spec
from blueprints.spec import PlatformSpec
from tests.fakes.openai_backend import FakeBackendProcess
from tests.support.litellm_proxy import (
    LITELLM,
    MASTER_KEY,
    redis_server,
    start_proxy,
    stop,
    wait_for,
    write_gateway_files,
)
from tests.support.net import free_port

TITLE = "Gateway overhead: fake backend direct vs through LiteLLM (rendered saas / regulated configs), 1 core"

PRESETS = {"saas": {"cache": {"semantic": False}}, "regulated-industry": {}}
"""Preset -> overrides. saas' semantic cache needs Redis' vector search, which Debian's redis-server lacks."""
CONCURRENCY = (1, 16, 64)
RUN_S = {1: 2.0, 16: 2.5, 64: 2.5}
MAX_REQUESTS = 3000
WARMUP_S = 1.0
WINDOW_S = 0.5
INPUT_TOKENS = 64
OUTPUT_TOKENS = 16
PROXY_CORE = 0
BUCKET = "bench-audit"
MOTO_START_S = 20.0
PROXY_START_S = 150.0
"""Both proxies start at once on one core: on a busy machine that takes longer than a test allows."""
SEEDS = itertools.count(1)
"""Each run's prompt seed. The load harness draws its prompts from the seed, and the proxies' response cache is on:
a run reusing an earlier run's seed (the warm-up's, or the same concurrency streamed after non-streamed) was answered
from the cache for the prompts that run had sent, which is not the path being measured."""
AUDIT_FLUSH_S = 1
"""The S3 audit logger's flush interval in the bench (LiteLLM 1.81.16 reads DEFAULT_S3_FLUSH_INTERVAL_SECONDS at
import, litellm/constants.py; 10 s by default). It uploads one object per request whatever the interval (s3_v2.py,
async_send_batch); a short one lets each run wait for its own uploads (AUDIT_FLUSH_S + 0.5 s after the load) instead
of billing them to whichever later run a 10 s flush lands in."""
SETTLE_S = 30.0
SETTLE_SAMPLE_S = 0.25
SETTLED_CPU = 0.05
"""A proxy has settled when it used less than this share of its core over a sample: the work a run leaves behind
(requests the client stopped waiting for, batched audit and spend writes) is counted in that run, not the next."""


@dataclass(frozen=True)
class Measured:
    rps: float
    p50_ms: float
    p99_ms: float
    failed: int
    succeeded: int
    cpu_ms: float | None
    """CPU time the proxy spent per successful request (None: not measured, the direct runs)."""


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _settle(pid: int) -> None:
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        before = process_cpu_s(pid)
        time.sleep(SETTLE_SAMPLE_S)
        if process_cpu_s(pid) - before < SETTLED_CPU * SETTLE_SAMPLE_S:
            return


def measure_load(target: Target, users: int, stream: bool, duration_s: float, proxy: int | None = None) -> Measured:
    """One bounded closed-loop run: median throughput of its inner windows, end-to-end percentiles and, when
    `proxy` (a pid) is given, that process's CPU time per successful request, from a settled proxy to a settled
    proxy."""
    workload = Workload(arrivals=FixedConcurrency(users=users), input_tokens=Fixed(value=INPUT_TOKENS),
                        output_tokens=Fixed(value=OUTPUT_TOKENS), duration_s=duration_s,
                        max_requests=MAX_REQUESTS, request_timeout_s=20, stream=stream, seed=next(SEEDS))
    config = LoadTestConfig(target=target, workload=workload, window_s=WINDOW_S, progress_interval_s=60)
    if proxy:
        _settle(proxy)
    cpu_before = process_cpu_s(proxy) if proxy else 0.0
    report = run_loadtest(config)
    if proxy:
        time.sleep(AUDIT_FLUSH_S + 0.5)
        _settle(proxy)
    summary = report.summary
    if summary.succeeded == 0:
        raise RuntimeError(f"{target.name}: no request succeeded: {summary.errors}")
    cpu_ms = (process_cpu_s(proxy) - cpu_before) * 1000 / summary.succeeded if proxy else None
    return Measured(closed_loop_rps(report), summary.e2e_ms.p50 or 0.0, summary.e2e_ms.p99 or 0.0, summary.failed,
                    summary.succeeded, cpu_ms)


def closed_loop_rps(report: LoadTestReport) -> float:
    """Requests completed per second, from the run's first start to its last end (ramp and drain included: a short
    run reads a little low, never high). Windows by request start are no throughput when requests outlast the run:
    64 streams of 3 s all start in the first half-second and read 128/s."""
    return report.summary.succeeded / report.summary.duration_s


def without_admission_limits(config: dict[str, Any]) -> dict[str, Any]:
    """A LiteLLM config without its deployments' rpm/tpm and without the limits it gives every new virtual key: a
    bench that sends more than a model's or a key's minute budget would otherwise measure LiteLLM holding back or
    refusing requests, not what a request costs."""
    for entry in config["model_list"]:
        entry["litellm_params"].pop("rpm", None)
        entry["litellm_params"].pop("tpm", None)
    for name in ("default_key_generate_params", "upperbound_key_generate_params"):
        config["litellm_settings"].pop(name, None)
    return config


def local_config(spec: PlatformSpec, backend: str, s3_endpoint: str) -> dict[str, Any]:
    """The rendered config with addresses made local (every model deployment on `backend`, audit to `s3_endpoint`)
    and without the deployments' rpm/tpm admission limits: the runs together send more than a small model's minute
    budget (regulated-industry's reg-large: 480), and LiteLLM's router then holds requests for seconds, which
    measures the preset's limit, not what the gateway costs."""
    config = without_admission_limits(
        litellm_config(spec, spec.regions[0], {model.name: backend for model in spec.serving.models}))
    for entry in config["model_list"]:
        params = entry["litellm_params"]
        if params["model"].startswith("bedrock/"):
            params.pop("aws_region_name")
            params.update(model=f"openai/{entry['model_name']}", api_base=backend, api_key=SELF_HOSTED_API_KEY)
        elif params.get("api_base") and "127.0.0.1" not in params["api_base"]:
            params["api_base"] = backend  # a fallback group on the model's own Services
    if "s3_callback_params" in config["litellm_settings"]:
        config["litellm_settings"]["s3_callback_params"]["s3_endpoint_url"] = s3_endpoint
    return config


@contextmanager
def _moto() -> Iterator[str]:
    """A local S3 (moto's server) with the audit bucket; yields its URL."""
    port = free_port()
    process = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/moto-api/", MOTO_START_S, process)
        import boto3

        boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench",
                     aws_secret_access_key="bench").create_bucket(Bucket=BUCKET)
        yield url
    finally:
        stop(process)


@contextmanager
def _proxies(backend: str, s3: str, sink: str, redis_port: int) -> Iterator[dict[str, tuple[str, int]]]:
    """A proxy per preset on its rendered config, all pinned to PROXY_CORE (started together, measured in turn);
    yields preset -> (URL, pid)."""
    with ExitStack() as stack:
        started = {}
        for preset, overrides in PRESETS.items():
            spec = load_spec(preset, "prod", overrides=overrides)
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-litellm-")))
            write_gateway_files(directory, spec, spec.regions[0], {}, local_config(spec, backend, s3))
            env = {AUDIT_BUCKET_ENV: BUCKET, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench",
                   "AWS_SECRET_ACCESS_KEY": "bench", "OTEL_ENDPOINT": sink,
                   "DEFAULT_S3_FLUSH_INTERVAL_SECONDS": str(AUDIT_FLUSH_S)}
            process, url = start_proxy(directory, "config.yaml", spec, redis_port, cpus=str(PROXY_CORE),
                                       extra_env=env)
            stack.callback(stop, process)
            started[preset] = (process, url)
        for process, url in started.values():
            wait_for(f"{url}/health/liveliness", PROXY_START_S, process)
        yield {preset: (url, process.pid) for preset, (process, url) in started.items()}


def _model(preset: str) -> str:
    return load_spec(preset, "prod").chat_models[0].name


def pin_away_from_proxy() -> None:
    """This process and its children (load generator, backend, Redis, moto) off the proxy's core."""
    cores = os.sched_getaffinity(0) - {PROXY_CORE}
    if cores:
        os.sched_setaffinity(0, cores)


def _figure(preset: str, stream: bool, users: int, through: Measured, straight: Measured) -> Figure:
    mode = "stream" if stream else "json"
    detail = (f"{through.rps / straight.rps:.2f}x direct {straight.rps:.0f}/s; added p50 "
              f"{through.p50_ms - straight.p50_ms:+.1f} ms, p99 {through.p99_ms - straight.p99_ms:+.1f} ms; "
              f"{through.cpu_ms:.1f} ms CPU/request = {1000 / (through.cpu_ms or 1):.0f}/s per core"
              + (f"; {through.failed} failed" if through.failed else ""))
    return Figure(f"{preset} {mode} c{users}", through.rps, "req/s/core", detail)


def run() -> list[Figure]:
    if not LITELLM.exists():
        raise RuntimeError(f"LiteLLM proxy not installed at {LITELLM} (make litellm-venv)")
    pin_away_from_proxy()
    figures: list[Figure] = []
    with ExitStack() as stack:
        backend = stack.enter_context(FakeBackendProcess()).base_url
        redis_port = stack.enter_context(redis_server())
        s3 = stack.enter_context(_moto())
        proxies = stack.enter_context(_proxies(backend, s3, backend.removesuffix("/v1"), redis_port))
        direct = {(stream, users): measure_load(Target(name="direct", base_url=backend, model="fake-model"), users,
                                                stream, RUN_S[users])
                  for stream in (False, True) for users in CONCURRENCY}
        for preset, (url, pid) in proxies.items():
            target = Target(name="gateway", base_url=f"{url}/v1", model=_model(preset), api_key=MASTER_KEY)
            measure_load(target, 16, False, WARMUP_S)
            for stream in (False, True):
                for users in CONCURRENCY:
                    through = measure_load(target, users, stream, RUN_S[users], proxy=pid)
                    figures.append(_figure(preset, stream, users, through, direct[(stream, users)]))
    return figures
