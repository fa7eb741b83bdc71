"""Shared fixtures: the resource graph of a preset x environment, built once per test session (shared by the xdist
workers)."""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import logging
import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from moto.server import ThreadedMotoServer

from blueprints.engine.graph import ResourceGraph
from blueprints.engine.program import build_graph
from blueprints.presets import ENVIRONMENTS, load_spec, preset_names
from tests.support.net import free_port

PRESETS = preset_names()
PRESET_ENVS = [(preset, env) for preset in PRESETS for env in ENVIRONMENTS]
EKS_PRESETS = [preset for preset in PRESETS if load_spec(preset, "prod").runtime == "eks"]
"""Presets with a cluster (startup-mvp runs its gateway on Fargate: tests/components/test_gateway_fargate.py)."""
EKS_PRESET_ENVS = [(preset, env) for preset, env in PRESET_ENVS if preset in EKS_PRESETS]

_cache: dict[tuple[str, str, str], ResourceGraph] = {}


class GraphOf(Protocol):
    def __call__(self, preset: str, env: str, overrides: dict[str, Any] | None = None) -> ResourceGraph: ...


@pytest.fixture(scope="session")
def graph_of(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> GraphOf:
    """`graph_of(preset, env, overrides=None)`: the offline program's resource graph with default regions, built once
    per session for each distinct preset, environment and overrides (tests only read it). Under xdist the first
    worker to need a graph builds it and leaves it pickled in the run's shared temporary directory for the other
    worker (a graph is 2-3 s of CPU to build, 0.05 s to load)."""
    shared = None if worker_id == "master" else tmp_path_factory.getbasetemp().parent / "graphs"

    def get(preset: str, env: str, overrides: dict[str, Any] | None = None) -> ResourceGraph:
        key = (preset, env, json.dumps(overrides, sort_keys=True) if overrides else "")
        if key not in _cache:
            _cache[key] = (build_graph(preset, env, overrides=overrides) if shared is None
                           else _built_once(shared, key, overrides))
        return _cache[key]

    return get


def _built_once(directory: Path, key: tuple[str, str, str], overrides: dict[str, Any] | None) -> ResourceGraph:
    directory.mkdir(exist_ok=True)
    preset, env, text = key
    suffix = f"-{hashlib.sha256(text.encode()).hexdigest()[:16]}" if text else ""
    path = directory / f"{preset}-{env}{suffix}.pickle"
    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker waits for the graph rather than building it too
        if path.exists():
            return pickle.loads(path.read_bytes())
        graph = build_graph(preset, env, overrides=overrides)
        path.write_bytes(pickle.dumps(graph, protocol=pickle.HIGHEST_PROTOCOL))
        return graph


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on 127.0.0.1 (every AWS service the batch and feedback tiers call), once per session."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


SHARED_SERVERS = ("db_gateway", "rag_home")
"""Session-scoped fixtures that start a real server (LiteLLM on Postgres; the RAG home's Postgres): each one's
tests share one xdist group."""


OLDEST_GENERATION_THRESHOLD = 100
"""Full collections after 100 young-generation ones instead of 10: a test process's heap holds the imported provider
SDKs and the cached graphs and renders (tests/components alone: 1.2-1.4 million objects, ~1.2 s a pass), which
CPython's default walked again every few seconds (tests/components under `-n 0`: 17 full passes, 9 s of 94 s CPU;
with 100: 3 passes, 3.4 s)."""


def pytest_configure(config: pytest.Config) -> None:
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, OLDEST_GENERATION_THRESHOLD)


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Pytest's unraisable-exception check ends each process with five full collections of that heap; one here runs
    the finalizers it watches for, then the survivors are frozen so that its five passes skip them."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs `-n 2 --dist loadgroup`: tests in one xdist group run on one worker. A test that uses a
    shared server fixture joins that fixture's group, one that uses a package-scoped fixture (tests/feedback's proxy)
    its package's, and one that uses a module-scoped fixture (a proxy, a rendered tree) its module's, so each server
    starts once instead of once per worker. First: xdist's worker reads the marks in its own hook of this name
    (xdist/remote.py, `WorkerInteractor.pytest_collection_modifyitems`), registered after this conftest and so called
    before it unless this one goes first; marks added later group nothing."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        shared = sorted(names.intersection(SHARED_SERVERS))
        definitions = getattr(item, "_fixtureinfo", None)
        scoped = [] if definitions is None else [
            defs[-1] for name, defs in definitions.name2fixturedefs.items() if name in names and defs]
        packages = sorted(fixture.baseid for fixture in scoped if fixture.scope == "package")
        by_module = any(fixture.scope == "module" for fixture in scoped)
        group = shared[0] if shared else packages[0] if packages else item.module.__name__ if by_module else None
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (CI=true) a skipped test is a failure: every real tool the suite needs must have been installed."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI", "").lower() in ("1", "true") and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in CI, which must install every tool the suite uses: {reason}"
