"""Shared fixtures: the resource graph of a preset x environment, built once per test session (per worker)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from blueprints.engine.graph import ResourceGraph
from blueprints.engine.program import build_graph
from blueprints.presets import ENVIRONMENTS, preset_names

PRESETS = preset_names()
PRESET_ENVS = [(preset, env) for preset in PRESETS for env in ENVIRONMENTS]

_cache: dict[tuple[str, str], ResourceGraph] = {}


@pytest.fixture(scope="session")
def graph_of() -> Callable[[str, str], ResourceGraph]:
    """`graph_of(preset, env)`: the offline program's resource graph with default regions and no overrides."""

    def get(preset: str, env: str) -> ResourceGraph:
        if (preset, env) not in _cache:
            _cache[(preset, env)] = build_graph(preset, env)
        return _cache[(preset, env)]

    return get
