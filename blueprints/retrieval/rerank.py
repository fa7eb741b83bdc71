"""The rerank stage: reorder the candidate chunks of the first stage by a finer relevance score.

`SentenceReranker` (offline default) scores each candidate by its best-matching sentence as well as the whole
chunk (a chunk that answers the query in one sentence beats one that is merely about the topic); `HttpReranker`
calls a Cohere-compatible `/v1/rerank` endpoint (LiteLLM's proxy serves one in front of Bedrock or Cohere rerank
models)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import httpx
import numpy as np

from blueprints.retrieval.chunking import SENTENCE_END
from blueprints.retrieval.embedders import Embedder
from blueprints.retrieval.errors import RetrievalError
from blueprints.retrieval.lexical import fuse
from blueprints.retrieval.store import Hit


class Reranker(Protocol):
    def rerank(self, query: str, hits: Sequence[Hit], k: int) -> list[Hit]: ...


def _rescored(hits: Sequence[Hit], scores: Sequence[float], k: int) -> list[Hit]:
    order = sorted(range(len(hits)), key=lambda i: -scores[i])[:k]
    return [Hit(hits[i].document_id, hits[i].chunk_index, hits[i].text, hits[i].source, float(scores[i]),
                hits[i].metadata) for i in order]


class SentenceReranker:
    """score = (1 - weight) * cosine(query, chunk) + weight * max over sentences of cosine(query, sentence)."""

    def __init__(self, embedder: Embedder, weight: float = 0.5):
        self._embedder, self._weight = embedder, weight

    def rerank(self, query: str, hits: Sequence[Hit], k: int) -> list[Hit]:
        if not hits:
            return []
        sentences = [[part for part in SENTENCE_END.split(hit.text) if part.strip()] or [hit.text] for hit in hits]
        flat = [sentence for group in sentences for sentence in group]
        vectors = self._embedder.embed([query, *(hit.text for hit in hits), *flat])
        query_vector, chunk_vectors, sentence_vectors = vectors[0], vectors[1:len(hits) + 1], vectors[len(hits) + 1:]
        chunk_scores = chunk_vectors @ query_vector
        sentence_scores = sentence_vectors @ query_vector
        scores, offset = [], 0
        for position, group in enumerate(sentences):
            best = float(np.max(sentence_scores[offset:offset + len(group)]))
            offset += len(group)
            scores.append((1 - self._weight) * float(chunk_scores[position]) + self._weight * best)
        return fuse(hits, _rescored(hits, scores, len(hits)))[:k]


class HttpReranker:
    """POST {base_url}/v1/rerank {model, query, documents, top_n} -> results[{index, relevance_score}]."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 30.0):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s)
        self._model = model

    def rerank(self, query: str, hits: Sequence[Hit], k: int) -> list[Hit]:
        if not hits:
            return []
        try:
            response = self._client.post("/v1/rerank", json={
                "model": self._model, "query": query, "documents": [hit.text for hit in hits], "top_n": k})
        except httpx.HTTPError as error:
            raise RetrievalError(f"rerank endpoint unreachable: {error}", 503) from None
        if response.status_code != 200:
            raise RetrievalError(f"rerank endpoint answered {response.status_code}: {response.text[:200]}", 502)
        scores = [float("-inf")] * len(hits)
        for result in response.json()["results"]:
            scores[result["index"]] = float(result["relevance_score"])
        return _rescored(hits, scores, k)
