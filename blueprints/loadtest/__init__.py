"""Load testing of OpenAI-compatible endpoints with locust: streaming chat completions at a Poisson rate or a
fixed concurrency, TTFT / inter-token / end-to-end latency percentiles, goodput, SLO gates and report files.

    report = run_loadtest(LoadTestConfig(target=Target(base_url=..., model=...), workload=Workload(...)))
    enforce_gates(evaluate_gates(report, SloGates(ttft_p95_ms=500)))
"""

from blueprints.loadtest.config import LoadTestConfig, Target
from blueprints.loadtest.files import write_added_latency, write_report
from blueprints.loadtest.gates import GateResult, SloGates, enforce_gates
from blueprints.loadtest.report import AddedLatency, AddedLatencyReport, LoadTestReport, evaluate_gates
from blueprints.loadtest.runner import Progress, measure_added_latency, run_loadtest
from blueprints.loadtest.workload import (
    Fixed,
    FixedConcurrency,
    LogNormal,
    Normal,
    PoissonArrivals,
    Uniform,
    Workload,
)

__all__ = [
    "AddedLatency",
    "AddedLatencyReport",
    "Fixed",
    "FixedConcurrency",
    "GateResult",
    "LoadTestConfig",
    "LoadTestReport",
    "LogNormal",
    "Normal",
    "PoissonArrivals",
    "Progress",
    "SloGates",
    "Target",
    "Uniform",
    "Workload",
    "enforce_gates",
    "evaluate_gates",
    "measure_added_latency",
    "run_loadtest",
    "write_added_latency",
    "write_report",
]
