"""What the Qdrant store adds to the contract tests (test_ingest.py, test_quality.py run on both backends): the
alias is a real Qdrant collection alias that any other client reading `NAME` follows, version collections carry the
deployed collection body's HNSW graph, and the service's settings select the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from qdrant_client.models import CreateCollection

from blueprints.retrieval.errors import RetrievalError
from blueprints.retrieval.qdrantstore import QdrantStore, qdrant_store_at
from blueprints.retrieval.schema import qdrant_collection
from blueprints.retrieval.settings import Settings
from blueprints.retrieval.store import Document, Filters
from blueprints.spec import RetrievalSpec

DIMENSION = 256


def _document(name: str, hot: int) -> tuple[Document, np.ndarray]:
    document = Document(name, f"s3://docs/{name}", name + "-hash", datetime.now(UTC), {}, [name], [name + "-c"])
    return document, np.eye(DIMENSION, dtype=np.float32)[[hot]]


def _version(store: QdrantStore, index: str, name: str, hot: int, base: int | None) -> int:
    version = store.new_version(index, base)
    store.put_document(index, version, *_document(name, hot))
    store.mark_ready(index, version)
    return version


def test_activate_and_rollback_move_the_collection_alias_other_clients_read(tmp_path: Path) -> None:
    store = qdrant_store_at(f"file://{tmp_path}")
    store.create_index("docs", DIMENSION)
    first = _version(store, "docs", "a.txt", 0, None)
    store.activate("docs", first)
    second = _version(store, "docs", "b.txt", 1, first)
    client = store._client

    def through_alias() -> set[str]:
        """What a client that knows only the alias (no version bookkeeping) reads."""
        points = client.query_points("docs", query=np.eye(DIMENSION)[1].tolist(), using="dense", limit=5).points
        return {point.payload["document_id"] for point in points}

    assert through_alias() == {"a.txt"}
    assert store.activate("docs", second).active == second
    assert through_alias() == {"a.txt", "b.txt"}
    state = store.rollback("docs")
    assert (state.active, state.previous, through_alias()) == (first, second, {"a.txt"})
    [alias] = client.get_collection_aliases("docs-v1").aliases
    assert alias.alias_name == "docs"
    # The version collections carry the deployed collection body's vector settings (local mode keeps no HNSW ones).
    deployed = qdrant_collection(RetrievalSpec(enabled=True, embedding_dimension=DIMENSION), 1)["vectors"]
    assert client.get_collection("docs-v2").config.params.vectors == CreateCollection.model_validate(
        {"vectors": deployed}).vectors
    [hit] = store.search("docs", second, np.eye(DIMENSION, dtype=np.float32)[1], 1, Filters(source_prefix="s3://"))
    assert (hit.document_id, hit.score) == ("b.txt", pytest.approx(1.0))
    store.close()


def test_the_service_settings_select_qdrant_and_name_a_bad_url(tmp_path: Path) -> None:
    settings = Settings.from_environment({"RAG_INDEX": "docs", "RAG_QDRANT_URL": f"file://{tmp_path}",
                                          "RAG_DATABASE_URL": "postgresql://unused@127.0.0.1/rag"})
    store = settings.store()
    assert isinstance(store, QdrantStore) and store.names() == [] and store._replication == 1
    store.close()
    with pytest.raises(RetrievalError, match=r"Qdrant URL 'qdrant\.svc:6333': expected http\(s\)://HOST:PORT"):
        qdrant_store_at("qdrant.svc:6333")
