"""Retrieval quality of the local default on the project's own test corpus (bench/rag_corpus: 45 documents, 48
queries with their relevant documents): recall@5 and MRR of dense search (wordllama + pgvector HNSW), BM25
(bm25s), their reciprocal rank fusion, and fusion + the sentence reranker (the `rag query` default); plus the
time `rag rollback` takes to switch the alias. Runs on a temporary embedded PostgreSQL + pgvector."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import Figure
from blueprints.retrieval import local
from blueprints.retrieval.embedders import LocalEmbedder
from blueprints.retrieval.ingest import Settings, directory_objects, ingest
from blueprints.retrieval.lexical import Bm25Index
from blueprints.retrieval.pgstore import PgVectorStore
from blueprints.retrieval.pipeline import Query, Retriever
from blueprints.retrieval.rerank import SentenceReranker
from blueprints.retrieval.store import Filters

TITLE = "RAG retrieval quality on the project's test corpus (recall@5, MRR) and index rollback time"
CORPUS = Path(__file__).with_name("rag_corpus")
K = 5
INDEX = "bench"
MODES = ("dense", "bm25", "hybrid", "hybrid+rerank")


@dataclass(frozen=True)
class Scores:
    recall_at_5: float
    mrr: float


def queries() -> list[dict]:
    return [json.loads(line) for line in (CORPUS / "queries.jsonl").read_text().splitlines() if line.strip()]


def load_corpus(store: PgVectorStore, index: str, workdir: Path) -> None:
    """The corpus as one text file per document (document id = `<id>.txt`), ingested into `index`."""
    for line in (CORPUS / "documents.jsonl").read_text().splitlines():
        document = json.loads(line)
        (workdir / f"{document['id']}.txt").write_text(document["text"])
    objects, _ = directory_objects(workdir)
    ingest(store, LocalEmbedder(), index, objects, Settings())


def ranker(store: PgVectorStore, index: str, mode: str) -> Callable[[str], list[str]]:
    """Document ids (best first, each once) for a query, by one retrieval mode."""
    embedder = LocalEmbedder()
    retriever = Retriever(store, embedder, SentenceReranker(embedder))
    bm25 = Bm25Index(store.chunks(index, store.active_version(index), Filters()))

    def rank(text: str) -> list[str]:
        if mode == "bm25":
            hits = bm25.search(text, K * 4, Filters())
        else:
            hits = retriever.retrieve(Query(text, index, K, hybrid=mode != "dense",
                                            rerank=mode == "hybrid+rerank")).hits
        ids: list[str] = []
        for hit in hits:
            document = hit.document_id.removesuffix(".txt")
            if document not in ids:
                ids.append(document)
        return ids[:K]

    return rank


def score(rank: Callable[[str], list[str]]) -> Scores:
    recalls, reciprocal = [], []
    for item in queries():
        ranked, relevant = rank(item["query"]), set(item["relevant"])
        recalls.append(len(relevant & set(ranked)) / len(relevant))
        first = next((position for position, doc in enumerate(ranked, start=1) if doc in relevant), None)
        reciprocal.append(1 / first if first else 0.0)
    return Scores(sum(recalls) / len(recalls), sum(reciprocal) / len(reciprocal))


def run() -> list[Figure]:
    with local.temporary_home(Path(tempfile.mkdtemp(prefix="rag-bench-"))):
        store = local.open_store()
        try:
            load_corpus(store, INDEX, Path(tempfile.mkdtemp(prefix="rag-corpus-")))
            detail = f"{len(queries())} queries, 45 documents, k={K}"
            figures = []
            for mode in MODES:
                result = score(ranker(store, INDEX, mode))
                figures += [Figure(f"recall@5 {mode}", round(result.recall_at_5, 3), "", detail),
                            Figure(f"MRR {mode}", round(result.mrr, 3), "", detail)]
            new_version = store.new_version(INDEX, store.active_version(INDEX))
            store.mark_ready(INDEX, new_version)
            store.activate(INDEX, new_version)
            started = time.perf_counter()
            store.rollback(INDEX)
            figures.append(Figure("rag rollback (alias switch)", round((time.perf_counter() - started) * 1000, 2),
                                  "ms", "embedded PostgreSQL, 2 versions"))
            return figures
        finally:
            store.close()
