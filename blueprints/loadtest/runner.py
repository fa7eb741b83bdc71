"""Running a load test: start the locust process (`worker`), feed it the plan, gather its samples, report
progress while it runs, and build the report. The worker runs in its own interpreter because locust
monkey-patches the process that imports it; this side stays an ordinary Python process."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import blueprints
from blueprints.errors import BlueprintError
from blueprints.loadtest.config import LoadTestConfig, Target
from blueprints.loadtest.metrics import percentile
from blueprints.loadtest.protocol import WORKER_MESSAGE, Heartbeat, RequestSample, WorkerPlan
from blueprints.loadtest.report import AddedLatencyReport, LoadTestReport

WORKER_START_S = 60.0
"""Time the worker may take to start (importing locust and gevent) and stop, beyond the run's own bounds."""
STDERR_TAIL = 2000


@dataclass(frozen=True)
class Progress:
    """The state of a run at a heartbeat."""

    elapsed_s: float
    issued: int
    in_flight: int
    completed: int
    failed: int
    ttft_p50_ms: float | None
    e2e_p50_ms: float | None

    def line(self) -> str:
        def ms(value: float | None) -> str:
            return "-" if value is None else f"{value:.0f} ms"

        return (f"[{self.elapsed_s:6.1f}s] {self.completed} done, {self.failed} failed, {self.in_flight} "
                f"in flight | TTFT p50 {ms(self.ttft_p50_ms)} | E2E p50 {ms(self.e2e_p50_ms)}")


ProgressCallback = Callable[[Progress], None]


def _progress(beat: Heartbeat, samples: Sequence[RequestSample]) -> Progress:
    ok = [s for s in samples if s.ok]
    ttfts = [s.ttft_s * 1000 for s in ok if s.ttft_s is not None]
    e2es = [s.e2e_s * 1000 for s in ok]
    return Progress(
        elapsed_s=beat.elapsed_s,
        issued=beat.issued,
        in_flight=beat.in_flight,
        completed=len(samples),
        failed=len(samples) - len(ok),
        ttft_p50_ms=percentile(ttfts, 50) if ttfts else None,
        e2e_p50_ms=percentile(e2es, 50) if e2es else None,
    )


def _worker_environment() -> dict[str, str]:
    """This interpreter's environment, with the directory holding `blueprints` first on the module path."""
    root = str(Path(blueprints.__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


def _execute(config: LoadTestConfig, targets: Sequence[Target], progress: ProgressCallback | None
             ) -> list[RequestSample]:
    """Run the locust worker against `targets` (requests interleaved) and return every request's sample."""
    if importlib.util.find_spec("locust") is None:
        raise BlueprintError("loadtest: locust is not installed in this environment (it is a pinned dependency "
                             "of the project: reinstall the project's dependencies)")
    workload = config.workload
    plan = WorkerPlan(workload=workload, endpoints=[t.endpoint() for t in targets],
                      heartbeat_s=config.progress_interval_s)
    limit_s = workload.duration_s + workload.request_timeout_s + WORKER_START_S
    samples: list[RequestSample] = []
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as stderr, subprocess.Popen(
        [sys.executable, "-m", "blueprints.loadtest.worker"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True, encoding="utf-8",
        env=_worker_environment(),
    ) as worker:
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            worker.kill()

        timer = threading.Timer(limit_s, expire)
        timer.start()
        try:
            assert worker.stdin is not None and worker.stdout is not None
            worker.stdin.write(plan.model_dump_json())
            worker.stdin.close()
            for line in worker.stdout:
                message = WORKER_MESSAGE.validate_json(line)
                if isinstance(message, RequestSample):
                    samples.append(message)
                elif progress is not None:
                    progress(_progress(message, samples))
            returncode = worker.wait()
        finally:
            timer.cancel()
            if worker.poll() is None:  # interrupted here: the worker must not outlive the run
                worker.kill()
                worker.wait()
        if returncode != 0:
            stderr.seek(0)
            tail = stderr.read()[-STDERR_TAIL:].strip()
            cause = f"ran past its {limit_s:.0f} s limit" if expired.is_set() else f"exited with {returncode}"
            raise BlueprintError(f"loadtest: the load generator {cause}: {tail or 'no output'}")
    return samples


def run_loadtest(config: LoadTestConfig, progress: ProgressCallback | None = None) -> LoadTestReport:
    """Send the configured load to `config.target` and measure it. Gates are not evaluated here."""
    started_at = datetime.now(UTC)
    samples = _execute(config, [config.target], progress)
    return LoadTestReport.build(config, config.target, samples, started_at)


def measure_added_latency(
    config: LoadTestConfig, direct: Target, progress: ProgressCallback | None = None
) -> AddedLatencyReport:
    """Send the configured load, in one run, to `config.target` (the gateway) and to `direct` (the backend
    behind it), alternating request by request with identical prompts and lengths, and report the gateway's
    added latency as the difference of medians."""
    if direct.name == config.target.name:
        raise BlueprintError(f"loadtest: the direct target needs a name other than {direct.name!r}")
    started_at = datetime.now(UTC)
    samples = _execute(config, [config.target, direct], progress)

    def report(target: Target) -> LoadTestReport:
        own = [s for s in samples if s.endpoint == target.name]
        return LoadTestReport.build(config, target, own, started_at)

    return AddedLatencyReport.build(direct=report(direct), gateway=report(config.target))
