"""What every vector store offers the ingestion and the retrieval service: versioned indexes behind an alias.

An index NAME has numbered versions; its alias (`active`) says which one queries read, `previous` which one
`rollback` returns to. A version holds documents (id, source, content hash, metadata) and their chunks with
embeddings. Writing is per document and all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from blueprints.retrieval.errors import RetrievalError

KEEP_VERSIONS = 3
"""Versions kept besides the active and previous one; older ones are dropped after an activation."""


@dataclass(frozen=True)
class Document:
    """A parsed source object ready to store: its chunk texts and their content hashes."""

    document_id: str
    source: str
    content_hash: str
    modified_at: datetime
    metadata: dict[str, Any]
    chunks: Sequence[str]
    chunk_hashes: Sequence[str]
    source_tag: str = ""
    """The source's own version tag (S3 ETags), so a poller can skip unchanged objects without reading them."""


@dataclass(frozen=True)
class Filters:
    """Metadata filters of a query: tenant equality, ACL groups (a chunk matches when it has no `acl_groups` or
    shares one with the caller), and a source prefix."""

    tenant: str | None = None
    acl_groups: Sequence[str] | None = None
    source_prefix: str | None = None


@dataclass(frozen=True)
class Hit:
    document_id: str
    chunk_index: int
    text: str
    source: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def chunk_id(self) -> str:
        return f"{self.document_id}#{self.chunk_index}"

    def as_json(self) -> dict[str, Any]:
        return {"document_id": self.document_id, "chunk_id": self.chunk_id, "score": round(self.score, 6),
                "text": self.text, "source": self.source, "metadata": self.metadata}


@dataclass(frozen=True)
class IndexState:
    name: str
    dimension: int
    active: int | None
    previous: int | None
    versions: list[int]

    def require_ready(self, version: int) -> None:
        """Activation needs a version that finished building."""
        if version not in self.versions:
            raise RetrievalError(f"index {self.name!r} has no ready version {version}; ready: "
                                 f"{', '.join(map(str, self.versions)) or 'none'}", 404)

    def require_previous(self) -> int:
        """Rollback needs a version that was active before."""
        if self.previous is None:
            raise RetrievalError(f"index {self.name!r} has no previous version to roll back to", 409)
        return self.previous


class VectorStore(Protocol):
    """The interface the ingestion and the retrieval service use; `PgVectorStore` (pgstore) and `QdrantStore`
    (qdrantstore) implement it."""

    def close(self) -> None: ...

    def names(self) -> list[str]: ...

    def state(self, index: str) -> IndexState: ...

    def create_index(self, index: str, dimension: int) -> None: ...

    def new_version(self, index: str, base: int | None) -> int: ...

    def mark_ready(self, index: str, version: int) -> None: ...

    def drop_version(self, index: str, version: int) -> None: ...

    def activate(self, index: str, version: int) -> IndexState: ...

    def rollback(self, index: str) -> IndexState: ...

    def documents(self, index: str, version: int) -> dict[str, tuple[str, str]]: ...

    def source_tags(self, index: str, version: int) -> dict[str, str]: ...

    def known_embeddings(self, index: str, hashes: Sequence[str]) -> dict[str, np.ndarray]: ...

    def put_document(self, index: str, version: int, document: Document, embeddings: np.ndarray) -> None: ...

    def delete_document(self, index: str, version: int, document_id: str) -> None: ...

    def active_version(self, index: str) -> int: ...

    def search(self, index: str, version: int, vector: np.ndarray, k: int, filters: Filters) -> list[Hit]: ...

    def chunks(self, index: str, version: int, filters: Filters) -> list[Hit]: ...
