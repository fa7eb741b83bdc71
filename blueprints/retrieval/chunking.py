"""Split a document's text into overlapping chunks of about `size` words, cut at sentence ends where possible."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class ChunkText:
    index: int
    text: str

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def chunk(text: str, size: int = 200, overlap: int = 40) -> list[ChunkText]:
    """Chunks of at most `size` words; each starts `overlap` words (whole sentences) before the previous one ended.

    A sentence longer than `size` is cut at `size` words."""
    if size < 1 or not 0 <= overlap < size:
        raise ValueError(f"chunk size {size} and overlap {overlap}: need size >= 1 and 0 <= overlap < size")
    sentences: list[list[str]] = []
    for sentence in SENTENCE_END.split(text):
        words = sentence.split()
        sentences.extend(words[start:start + size] for start in range(0, len(words), size))
    chunks: list[ChunkText] = []
    start = 0
    while start < len(sentences):
        end, words = start, 0
        while end < len(sentences) and (words + len(sentences[end]) <= size or end == start):
            words += len(sentences[end])
            end += 1
        chunks.append(ChunkText(len(chunks), " ".join(" ".join(s) for s in sentences[start:end])))
        if end >= len(sentences):
            break
        back, carried = end, 0
        while back - 1 > start and carried + len(sentences[back - 1]) <= overlap:
            back -= 1
            carried += len(sentences[back])
        start = back
    return chunks
