"""Retrieval quality of the `rag query` default (wordllama dense + BM25 fusion on the embedded pgvector) on the
project's own test corpus (bench/rag_corpus): recall@5 must stay >= 0.8. The figures themselves (every mode,
MRR) come from `python -m bench rag_quality`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.rag_quality import load_corpus, queries, ranker, score
from blueprints.retrieval.store import VectorStore

pytestmark = pytest.mark.integration


def test_the_default_hybrid_search_finds_the_relevant_documents(any_store: VectorStore, tmp_path: Path) -> None:
    """On every store backend: the same corpus, the same queries, the same floor."""
    load_corpus(any_store, "quality", tmp_path)
    assert len(queries()) >= 40
    result = score(ranker(any_store, "quality", "hybrid"))
    assert result.recall_at_5 >= 0.8, result
    assert result.mrr > 0.5, result
