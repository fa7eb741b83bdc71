"""The per-preset architecture pages in docs/architecture are generated from code and kept current."""

from __future__ import annotations

import pytest

from blueprints.commands.docs import CONTRACTS_PAGE, DOCS_DIR, architecture_page, contracts_page, layers_page
from blueprints.engine import program
from blueprints.presets import preset_names
from tests.conftest import GraphOf


@pytest.mark.parametrize("preset", preset_names())
def test_architecture_page_is_current(preset: str, graph_of: GraphOf, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(program, "build_graph", graph_of)  # the same program run, built once per session
    page = DOCS_DIR / f"{preset}.md"
    assert page.read_text() == architecture_page(preset), "stale: run `python -m blueprints docs` (make matrix)"


def test_layers_page_is_current():
    page = DOCS_DIR / "layers.md"
    assert page.read_text() == layers_page(), "stale: run `python -m blueprints docs` (make matrix)"


def test_contracts_page_is_current():
    assert CONTRACTS_PAGE.read_text() == contracts_page(), "stale: run `python -m blueprints docs` (make matrix)"
