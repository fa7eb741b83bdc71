"""Context assembly: the best chunks, in rank order, as numbered passages within a token budget, with the
citation of each passage (what the application shows as sources)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from blueprints.retrieval.store import Hit


def count_tokens(text: str) -> int:
    """Tokens of the Llama 2 tokenizer that ships with wordllama (close to most served models' counts)."""
    from blueprints.local_embeddings import count_tokens as llama_tokens

    return llama_tokens(text)


@dataclass(frozen=True)
class Context:
    text: str
    tokens: int
    citations: list[dict[str, Any]]


def assemble(hits: Sequence[Hit], budget: int, tokens: Callable[[str], int] = count_tokens) -> Context:
    """Passages `[n] source` + text, whole chunks only, skipping a chunk that would overflow `budget` tokens."""
    parts: list[str] = []
    citations: list[dict[str, Any]] = []
    used = 0
    for hit in hits:
        passage = f"[{len(parts) + 1}] {hit.source}\n{hit.text}"
        cost = tokens("\n\n".join([*parts, passage]))
        if cost > budget:
            continue
        used = cost
        parts.append(passage)
        citations.append({"n": len(parts), "document_id": hit.document_id, "chunk_id": hit.chunk_id,
                          "source": hit.source, "score": round(hit.score, 6)})
    return Context("\n\n".join(parts), used, citations)
