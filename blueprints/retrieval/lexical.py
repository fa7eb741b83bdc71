"""The lexical leg of hybrid retrieval: BM25 (bm25s) over every chunk of an index version, and reciprocal rank
fusion of ranked lists."""

from __future__ import annotations

from collections.abc import Sequence

import bm25s
import numpy as np

from blueprints.retrieval.store import Filters, Hit

RRF_K = 60
"""Reciprocal rank fusion constant (Cormack et al., 2009): score = sum of 1 / (RRF_K + rank)."""


def matches(hit: Hit, filters: Filters) -> bool:
    """The metadata filters of `PgVectorStore.search`, for hits ranked outside the database."""
    metadata = hit.metadata
    if filters.tenant is not None and metadata.get("tenant") != filters.tenant:
        return False
    if filters.acl_groups is not None and "acl_groups" in metadata and \
            not set(metadata["acl_groups"]) & set(filters.acl_groups):
        return False
    return filters.source_prefix is None or hit.source.startswith(filters.source_prefix)


class Bm25Index:
    """BM25 over a fixed list of chunks (one index version: rebuilt when the active version changes)."""

    def __init__(self, chunks: Sequence[Hit]):
        self._chunks = list(chunks)
        self._retriever = bm25s.BM25()
        if self._chunks:
            tokens = bm25s.tokenize([hit.text for hit in self._chunks], stopwords="en", show_progress=False)
            self._retriever.index(tokens, show_progress=False)

    def search(self, query: str, k: int, filters: Filters) -> list[Hit]:
        if not self._chunks:
            return []
        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False, return_ids=False)[0]
        if not tokens:
            return []
        scores = np.asarray(self._retriever.get_scores(tokens))
        out = []
        for position in np.argsort(-scores, kind="stable"):
            hit = self._chunks[int(position)]
            if scores[position] <= 0 or len(out) == k:
                break
            if matches(hit, filters):
                out.append(Hit(hit.document_id, hit.chunk_index, hit.text, hit.source, float(scores[position]),
                               hit.metadata))
        return out


def fuse(*rankings: Sequence[Hit]) -> list[Hit]:
    """Reciprocal rank fusion: one list, best first, each chunk once with its fused score."""
    scores: dict[str, float] = {}
    first: dict[str, Hit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + 1.0 / (RRF_K + rank)
            first.setdefault(hit.chunk_id, hit)
    order = sorted(scores, key=lambda chunk_id: -scores[chunk_id])
    return [Hit(first[c].document_id, first[c].chunk_index, first[c].text, first[c].source, scores[c],
                first[c].metadata) for c in order]
