"""The store contract, on each backend (`any_store`: the real embedded PostgreSQL + pgvector of the local default,
and Qdrant through qdrant-client's local mode) with the offline wordllama embeddings: incremental and idempotent
re-ingestion, deletes, per-document writes, metadata filters, the alias (activate, rollback)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from blueprints.retrieval.embedders import LocalEmbedder
from blueprints.retrieval.errors import RetrievalError
from blueprints.retrieval.ingest import Settings, directory_objects, freshness_seconds, ingest, prepare
from blueprints.retrieval.pgstore import CHUNK_TABLE, PgVectorStore, store_at
from blueprints.retrieval.pipeline import Query, Retriever
from blueprints.retrieval.qdrantstore import QdrantStore, qdrant_store_at
from blueprints.retrieval.rerank import SentenceReranker
from blueprints.retrieval.store import Filters, VectorStore
from tests.support.net import free_port

pytestmark = pytest.mark.integration
_names = itertools.count()
SETTINGS = Settings(chunk_size=12, chunk_overlap=0)
DOCS = {
    "karpenter.md": "# Nodes\n\nKarpenter launches GPU nodes when model pods are pending. "
                    "It removes empty nodes after the consolidation delay.",
    "gateway.html": "<p>The gateway checks the virtual key and its monthly budget before routing a request.</p>",
    "rollback.txt": "An index rollback moves the alias back to the previous version in one update.",
}


class CountingEmbedder(LocalEmbedder):
    def __init__(self) -> None:
        super().__init__(batch_size=4)
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return super().embed(texts)


def _write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


@pytest.fixture
def store(any_store: VectorStore) -> VectorStore:
    return any_store


def _ingest(store: VectorStore, root: Path, index: str, embedder: LocalEmbedder | None = None):
    objects, skipped = directory_objects(root)
    return ingest(store, embedder or LocalEmbedder(), index, objects, SETTINGS, skipped)


def _index() -> str:
    return f"test-{next(_names)}"


def _rows(store: VectorStore, index: str, kind: str = "chunk") -> int:
    """Chunk (or document) records of `index` in every version, ready or not, read from the backend itself."""
    if isinstance(store, PgVectorStore):
        table = CHUNK_TABLE if kind == "chunk" else "rag_document"
        return store._run(f"SELECT count(*) FROM {table} WHERE index_name = :n", n=index)[0][0]
    assert isinstance(store, QdrantStore)
    from qdrant_client import models

    where = models.Filter(must=[models.FieldCondition(key="kind", match=models.MatchValue(value=kind))])
    return sum(store._client.count(f"{index}-v{version}", count_filter=where).count
               for version in store._versions(index))


def test_reingestion_is_incremental_and_idempotent_and_deletes_propagate(store: VectorStore,
                                                                         tmp_path: Path) -> None:
    index, root = _index(), _write(tmp_path / "docs", DOCS)
    (root / "logo.png").write_bytes(b"\x89PNG")
    embedder = CountingEmbedder()
    first = _ingest(store, root, index, embedder)
    assert (first.version, first.active, sorted(first.added), first.skipped) == (1, 1, sorted(DOCS), ["logo.png"])
    embedded = len(embedder.texts)
    assert embedded == first.chunks_embedded == _rows(store, index) > len(DOCS)

    again = _ingest(store, root, index, embedder)
    assert (again.version, again.active, again.unchanged, len(embedder.texts)) == (None, 1, 3, embedded)
    assert store.state(index).versions == [1]

    (root / "karpenter.md").write_text(DOCS["karpenter.md"] + " Spot capacity is used for batch pools only.")
    (root / "rollback.txt").unlink()
    third = _ingest(store, root, index, embedder)
    assert (third.version, third.updated, third.deleted) == (2, ["karpenter.md"], ["rollback.txt"])
    assert third.chunks_embedded == len(embedder.texts) - embedded == 1 and third.chunks_reused >= 1
    assert set(store.documents(index, 2)) == {"karpenter.md", "gateway.html"}
    assert set(store.documents(index, 1)) == set(DOCS)  # the previous version is intact for a rollback

    retriever = Retriever(store, LocalEmbedder(), None)
    found = retriever.retrieve(Query("alias moves back to the previous version", index, k=5, hybrid=False,
                                     rerank=False))
    assert "rollback.txt" not in {hit.document_id for hit in found.hits} and found.version == 2
    assert store.rollback(index).active == 1
    found = retriever.retrieve(Query("alias moves back to the previous version", index, k=1, rerank=False))
    assert found.version == 1 and found.hits[0].document_id == "rollback.txt"
    assert store.activate(index, 2).active == 2


@pytest.mark.parametrize(("name", "data", "message"), [
    ("empty.md", b"\n", "empty.md: empty document"),
    ("binary.txt", b"\x00\x01ELF", "binary.txt: binary content"),
    ("big.txt", b"x" * 3000, "big.txt: 3000 bytes, more than the 2000 allowed"),
])
def test_a_bad_document_fails_the_run_and_leaves_the_index_as_it_was(store: VectorStore, tmp_path: Path,
                                                                     name: str, data: bytes, message: str) -> None:
    index, root = _index(), _write(tmp_path / "docs", DOCS)
    _ingest(store, root, index)
    before = (store.state(index), _rows(store, index))
    (root / "karpenter.md").write_text("changed text that must not be written")
    (root / name).write_bytes(data)
    objects, _ = directory_objects(root)
    with pytest.raises(RetrievalError, match=message):
        ingest(store, LocalEmbedder(), index, objects, Settings(12, 0, max_document_bytes=2000))
    assert (store.state(index), _rows(store, index)) == before


def test_a_failure_while_writing_leaves_no_half_written_document_or_version(store: VectorStore,
                                                                            tmp_path: Path) -> None:
    class BreaksOnSecondDocument(LocalEmbedder):
        calls = 0

        def embed(self, texts: list[str]) -> np.ndarray:
            self.calls += 1
            if self.calls == 2:
                raise RetrievalError("embedding endpoint answered 500: boom", 502)
            return super().embed(texts)

    index, root = _index(), _write(tmp_path / "docs", DOCS)
    with pytest.raises(RetrievalError, match="answered 500"):
        _ingest(store, root, index, BreaksOnSecondDocument())
    state = store.state(index)
    assert (state.active, state.versions, _rows(store, index)) == (None, [], 0)
    assert _rows(store, index, "document") == 0
    with pytest.raises(RetrievalError, match="has no active version"):
        store.active_version(index)


def test_metadata_filters_restrict_dense_and_lexical_results(store: VectorStore, tmp_path: Path) -> None:
    index, root = _index(), _write(tmp_path / "docs", {})
    for tenant, groups in (("acme", ["finance"]), ("globex", ["finance"]), ("acme", ["ops"])):
        folder = root / f"{tenant}-{groups[0]}"
        folder.mkdir()
        (folder / "budget.txt").write_text(f"The {tenant} {groups[0]} team budget is reviewed every month.")
        (folder / "budget.txt.meta.json").write_text(json.dumps({"tenant": tenant, "acl_groups": groups}))
    (root / "open.txt").write_text("Every team budget is reviewed by the platform office.")
    _ingest(store, root, index)
    retriever = Retriever(store, LocalEmbedder(), None)
    for hybrid in (False, True):
        hits = retriever.retrieve(Query("team budget review", index, k=10, hybrid=hybrid, rerank=False,
                                        filters=Filters(tenant="acme", acl_groups=["finance"]))).hits
        assert {hit.document_id for hit in hits} == {"acme-finance/budget.txt"}
        hits = retriever.retrieve(Query("team budget review", index, k=10, hybrid=hybrid, rerank=False,
                                        filters=Filters(acl_groups=["ops"]))).hits
        assert {hit.document_id for hit in hits} == {"acme-ops/budget.txt", "open.txt"}
        hits = retriever.retrieve(Query("team budget review", index, k=10, hybrid=hybrid, rerank=False,
                                        filters=Filters(source_prefix="globex-"))).hits
        assert {hit.document_id for hit in hits} == {"globex-finance/budget.txt"}


def test_bad_metadata_is_refused(tmp_path: Path) -> None:
    root = _write(tmp_path / "docs", {"a.txt": "text", "a.txt.meta.json": json.dumps({"acl_groups": "ops"})})
    with pytest.raises(RetrievalError, match=r"a.txt.meta.json: acl_groups must be a list of strings, got 'ops'"):
        directory_objects(root)


def test_unknown_index_and_unreachable_store_are_one_clear_error(store: VectorStore) -> None:
    with pytest.raises(RetrievalError, match="unknown index 'nowhere'") as raised:
        store.state("nowhere")
    assert raised.value.status == 404
    port = free_port()
    with pytest.raises(RetrievalError, match=f"vector store unreachable at .*127.0.0.1:{port}") as raised:
        if isinstance(store, PgVectorStore):
            store_at(f"postgresql://reader@127.0.0.1:{port}/rag")
        else:
            remote = qdrant_store_at(f"http://127.0.0.1:{port}")
            try:
                remote.names()
            finally:
                remote.close()
    assert raised.value.status == 503


def test_freshness_is_the_age_of_the_newest_object_not_yet_indexed(store: VectorStore, tmp_path: Path) -> None:
    import os
    from datetime import UTC, datetime, timedelta

    index, root = _index(), _write(tmp_path / "docs", DOCS)
    _ingest(store, root, index)
    now = datetime.now(UTC)
    indexed = store.documents(index, store.active_version(index))
    assert freshness_seconds(prepare(directory_objects(root)[0], SETTINGS), indexed, now) == 0
    for name, age in (("new-old.txt", 7200), ("new-recent.txt", 600)):
        (root / name).write_text(f"{name} is not indexed yet")
        stamp = (now - timedelta(seconds=age)).timestamp()
        os.utime(root / name, (stamp, stamp))
    pending = prepare(directory_objects(root)[0], SETTINGS)
    assert freshness_seconds(pending, indexed, now) == pytest.approx(600, abs=1)


def test_rerank_orders_candidates_by_their_best_sentence(store: VectorStore, tmp_path: Path) -> None:
    index, root = _index(), _write(tmp_path / "docs", DOCS)
    _ingest(store, root, index)
    embedder = LocalEmbedder()
    result = Retriever(store, embedder, SentenceReranker(embedder)).retrieve(
        Query("which key budget does the gateway check", index, k=2))
    assert result.hits[0].document_id == "gateway.html" and len(result.hits) == 2
    assert set(result.seconds) == {"embedding", "search", "rerank", "assembly"}
    assert result.context.citations[0]["chunk_id"] == result.hits[0].chunk_id
