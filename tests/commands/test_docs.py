"""The per-preset architecture pages in docs/architecture are generated from code and kept current."""

from __future__ import annotations

import pytest

from blueprints.commands.docs import CONTRACTS_PAGE, DOCS_DIR, architecture_page, contracts_page, layers_page
from blueprints.presets import preset_names


@pytest.mark.parametrize("preset", preset_names())
def test_architecture_page_is_current(preset):
    page = DOCS_DIR / f"{preset}.md"
    assert page.read_text() == architecture_page(preset), "stale: run `python -m blueprints docs` (make matrix)"


def test_layers_page_is_current():
    page = DOCS_DIR / "layers.md"
    assert page.read_text() == layers_page(), "stale: run `python -m blueprints docs` (make matrix)"


def test_contracts_page_is_current():
    assert CONTRACTS_PAGE.read_text() == contracts_page(), "stale: run `python -m blueprints docs` (make matrix)"
