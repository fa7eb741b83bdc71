"""SLO gates: pass at or under the limit, fail over it, fail closed with nothing measured."""

from __future__ import annotations

import pytest

from blueprints.errors import GateFailed
from blueprints.loadtest import SloGates, enforce_gates, evaluate_gates
from tests.loadtest.synthetic import report, sample

FAST = [sample(i, ttft_s=0.1, gap_s=0.01) for i in range(20)]


def test_only_the_gates_that_are_set_are_evaluated() -> None:
    assert evaluate_gates(report(FAST), SloGates()) == []
    names = [r.gate for r in evaluate_gates(report(FAST), SloGates(ttft_p95_ms=1, max_error_ratio=0))]
    assert names == ["ttft_p95_ms", "max_error_ratio"]


def test_gates_pass_at_their_limits_and_fail_above() -> None:
    results = evaluate_gates(report(FAST), SloGates(ttft_p95_ms=100, tpot_p95_ms=9.99, max_error_ratio=0))
    assert [(r.gate, r.passed) for r in results] == [
        ("ttft_p95_ms", True), ("tpot_p95_ms", False), ("max_error_ratio", True)]
    assert results[1].observed == pytest.approx(10)


def test_errors_fail_the_error_ratio_gate_and_enforce_names_the_failures() -> None:
    samples = [*FAST[:18], sample(18, ok=False), sample(19, ok=False)]
    results = evaluate_gates(report(samples), SloGates(ttft_p95_ms=500, max_error_ratio=0.05))
    assert [r.passed for r in results] == [True, False]
    assert results[1].observed == pytest.approx(0.1)
    with pytest.raises(GateFailed, match=r"max_error_ratio: observed 0.1, limit 0.05") as failure:
        enforce_gates(results)
    assert failure.value.exit_code == 1
    enforce_gates(results[:1])


def test_gates_fail_closed_when_nothing_was_measured() -> None:
    failed_only = [sample(0, ok=False)]
    results = evaluate_gates(report(failed_only), SloGates(ttft_p95_ms=500, tpot_p95_ms=50, max_error_ratio=1))
    assert [(r.observed, r.passed) for r in results] == [(None, False), (None, False), (1.0, True)]
    no_requests = evaluate_gates(report([]), SloGates(max_error_ratio=1))
    assert [(r.observed, r.passed) for r in no_requests] == [(None, False)]
    assert "nothing measured" in results[0].describe()


def test_gates_convert_from_a_model_slo_of_the_spec() -> None:
    from blueprints.spec import SloSpec

    slo = SloSpec(ttft_p95_ms=800, tpot_p95_ms=40, max_error_ratio=0.02)
    gates = SloGates.model_validate(slo.model_dump(include=set(SloGates.model_fields)))
    assert gates == SloGates(ttft_p95_ms=800, tpot_p95_ms=40, max_error_ratio=0.02)
