"""Wall time and test count of the test suite, run as `make test` runs it (its pytest part, after lint and vendor).

The command is the Makefile's: `python -m pytest -n 2 --dist loadgroup -q`, in a fresh process from the repository
root; the counts come from pytest's closing summary line. The whole suite takes minutes by nature: this figure is
bounded by TIMEOUT_S, not by the three minutes of the other benchmarks.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench import Figure

TITLE = "Test suite wall time and test count (pytest -n 2 --dist loadgroup, as make test)"

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ("-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q")
TIMEOUT_S = 1200
OUTCOMES = ("passed", "failed", "errors", "skipped", "xfailed", "xpassed")
_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)\b")


def outcome_counts(summary: str) -> dict[str, int]:
    """`12 passed, 1 skipped in 3.2s` (pytest's last line) -> {"passed": 12, "skipped": 1, ...}."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for count, outcome in _COUNT.findall(summary):
        counts["errors" if outcome.startswith("error") else outcome] += int(count)
    return counts


def run(paths: Sequence[str] = ()) -> list[Figure]:
    """`paths`: pytest arguments that narrow the run (a few test files) to check this module; none for the figure."""
    command = [sys.executable, *COMMAND, *paths]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S)
    wall = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    summary = lines[-1] if lines else ""
    counts = outcome_counts(summary)
    if not any(counts.values()):
        raise RuntimeError(f"pytest exited {done.returncode} without a summary: {done.stderr.strip()[-500:]}")
    scope = " ".join(paths) or "whole suite"
    return [
        Figure("test suite wall time", wall, "s", f"{scope}; exit {done.returncode}"),
        Figure("tests run", sum(counts.values()), "tests", ", ".join(f"{n} {k}" for k, n in counts.items() if n)),
        Figure("tests failed or errored", counts["failed"] + counts["errors"], "tests", summary),
    ]
