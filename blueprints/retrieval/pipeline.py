"""One query through the retrieval stages: embed -> vector search (metadata filters) -> optional BM25 fusion ->
rerank -> context assembly, each stage timed (seconds) for the service's latency histograms."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from blueprints.retrieval.assembly import Context, assemble
from blueprints.retrieval.embedders import Embedder
from blueprints.retrieval.lexical import Bm25Index, fuse
from blueprints.retrieval.rerank import Reranker
from blueprints.retrieval.store import Filters, Hit, VectorStore

STAGES = ("embedding", "search", "rerank", "assembly")
CANDIDATES_PER_RESULT = 4
"""First-stage candidates fetched per requested result, for fusion and reranking to choose from."""


@dataclass(frozen=True)
class Query:
    text: str
    index: str
    k: int = 5
    filters: Filters = field(default_factory=Filters)
    hybrid: bool = True
    rerank: bool = True
    token_budget: int = 2000


@dataclass
class Result:
    index: str
    version: int
    hits: list[Hit]
    context: Context
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "version": self.version, "chunks": [hit.as_json() for hit in self.hits],
                "context": self.context.text, "context_tokens": self.context.tokens,
                "citations": self.context.citations, "seconds": self.seconds}


class Retriever:
    """Runs queries against one store; BM25 indexes are cached per (index, version)."""

    def __init__(self, store: VectorStore, embedder: Embedder, reranker: Reranker | None):
        self._store, self._embedder, self._reranker = store, embedder, reranker
        self._bm25: dict[tuple[str, int], Bm25Index] = {}

    def _lexical(self, index: str, version: int) -> Bm25Index:
        key = (index, version)
        if key not in self._bm25:
            self._bm25 = {key: Bm25Index(self._store.chunks(index, version, Filters()))}
        return self._bm25[key]

    def retrieve(self, query: Query) -> Result:
        seconds: dict[str, float] = {}

        @contextmanager
        def stage(name: str) -> Iterator[None]:
            started = time.perf_counter()
            yield
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started

        version = self._store.active_version(query.index)
        pool = query.k * CANDIDATES_PER_RESULT if (query.hybrid or query.rerank) else query.k
        with stage("embedding"):
            vector = self._embedder.embed([query.text])[0]
        with stage("search"):
            hits = self._store.search(query.index, version, vector, pool, query.filters)
            if query.hybrid:
                hits = fuse(hits, self._lexical(query.index, version).search(query.text, pool, query.filters))
        with stage("rerank"):
            hits = self._reranker.rerank(query.text, hits, query.k) if query.rerank and self._reranker \
                else hits[:query.k]
        with stage("assembly"):
            context = assemble(hits, query.token_budget)
        return Result(query.index, version, hits, context, seconds)
