"""Wall time and test count of the test suite, run as `make test` runs it (its pytest part, after lint and vendor).

The command is the Makefile's, `python -m pytest -n 2 --dist loadgroup` (pyproject's addopts add `-q`), in a fresh
process from the repository root; the counts come from the JUnit XML report pytest writes beside it (the quiet
console prints no summary line). The whole suite takes minutes by nature: this figure is bounded by TIMEOUT_S, not by
the three minutes of the other benchmarks.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from bench import Figure

TITLE = "Test suite wall time and test count (pytest -n 2 --dist loadgroup, as make test)"

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ("-m", "pytest", "-n", "2", "--dist", "loadgroup")
TIMEOUT_S = 1200
OUTCOMES = ("tests", "failures", "errors", "skipped")


def outcome_counts(junit_xml: str) -> dict[str, int]:
    """The totals of a JUnit XML report (pytest's `<testsuites><testsuite tests= failures= ...>`)."""
    root = ET.fromstring(junit_xml)
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    return {key: sum(int(suite.get(key, 0)) for suite in suites) for key in OUTCOMES}


def run(paths: Sequence[str] = ()) -> list[Figure]:
    """`paths`: pytest arguments that narrow the run (a few test files) to check this module; none for the figure."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "junit.xml"
        command = [sys.executable, *COMMAND, f"--junitxml={report}", *paths]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S)
        wall = time.perf_counter() - started
        if not report.exists():
            raise RuntimeError(f"pytest exited {done.returncode} without a report: {done.stderr.strip()[-500:]}")
        counts = outcome_counts(report.read_text())
    scope = " ".join(paths) or "whole suite"
    failed = counts["failures"] + counts["errors"]
    return [
        Figure("test suite wall time", wall, "s", f"{scope}; exit {done.returncode}"),
        Figure("tests run", counts["tests"], "tests", f"{counts['skipped']} skipped"),
        Figure("tests failed or errored", failed, "tests", f"{counts['failures']} failed, {counts['errors']} errors"),
    ]
