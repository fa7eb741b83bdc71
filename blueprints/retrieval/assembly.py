"""Context assembly: the best chunks, in rank order, as numbered passages within a token budget, with the
citation of each passage (what the application shows as sources). Passages are delimited and stripped of
instruction-like text (prompt-injection defences, blueprints/guardrails/injection.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from blueprints.guardrails.injection import CONTEXT_NOTICE, delimit, strip_instructions
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
    """CONTEXT_NOTICE, then passages `<document n="1" source="...">` + text without instruction-like sentences,
    whole chunks only, skipping a chunk that would overflow `budget` tokens. Each citation counts the instructions
    removed from its passage (`instructions_removed`). No passage fits: empty context."""
    parts: list[str] = [CONTEXT_NOTICE]
    citations: list[dict[str, Any]] = []
    used = 0
    for hit in hits:
        sanitized = strip_instructions(hit.text)
        passage = delimit(len(parts), hit.source, sanitized.text)
        cost = tokens("\n\n".join([*parts, passage]))
        if cost > budget:
            continue
        used = cost
        parts.append(passage)
        citations.append({"n": len(citations) + 1, "document_id": hit.document_id, "chunk_id": hit.chunk_id,
                          "source": hit.source, "score": round(hit.score, 6),
                          "instructions_removed": sanitized.removed})
    return Context("\n\n".join(parts), used, citations) if citations else Context("", 0, [])
