"""The Qdrant implementation of `VectorStore` (the in-cluster Qdrant of `vector_store: qdrant`, or qdrant-client's
local mode), over qdrant-client.

Layout: version N of index NAME is the collection `NAME-vN` (named vector `dense`, cosine, HNSW as the schema's
collection body); the collection alias `NAME` points at the active version, so activate and rollback are one atomic
alias swap (`POST /collections/aliases`) and other readers of the alias switch with it. The collection `rag-indexes`
holds one vector-less point per index: its dimension, previous version and ready versions. A version collection
holds one vector-less `document` point per document (hash, source, tags) and one `chunk` point per chunk; point ids
are derived from document id and chunk position, so rewriting a document overwrites its points in place.

Qdrant has no transactions: `put_document` writes a document's points in one upsert request (applied as one
operation) and then removes its surplus chunks; ingestion only writes into a version that is not ready yet and drops
it on failure, so queries never see a half-written document. One writer at a time (the ingestion CronJob).
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException

from blueprints.retrieval.errors import RetrievalError
from blueprints.retrieval.lexical import matches
from blueprints.retrieval.qdrant_collection import VECTOR, version_collection
from blueprints.retrieval.store import KEEP_VERSIONS, Document, Filters, Hit, IndexState

INDEXES = "rag-indexes"
"""The collection of index records (never an index name: those match `^[a-z][a-z0-9_]*$`)."""
KEYWORD_FIELDS = ("kind", "document_id", "content_hash", "metadata.tenant", "metadata.acl_groups")
"""Payload fields the filters use, indexed in each version collection."""
SCROLL_PAGE = 256
_IDS = uuid.UUID("5d1c9a52-4f0e-4c55-9a4e-2a7d3f0b6c11")


def _collection(index: str, version: int) -> str:
    return f"{index}-v{version}"


def _point_id(*parts: object) -> str:
    return str(uuid.uuid5(_IDS, "\x1f".join(map(str, parts))))


def _equals(key: str, value: Any) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))


def _kind(kind: str) -> models.Filter:
    return models.Filter(must=[_equals("kind", kind)])


class QdrantStore:
    """`VectorStore` on one qdrant-client (remote: `QdrantClient(url=..., api_key=...)`; local mode:
    `QdrantClient(path=...)` or `QdrantClient(":memory:")`)."""

    def __init__(self, client: QdrantClient, where: str, replication_factor: int = 1):
        self._client, self._where, self._replication = client, where, replication_factor

    def close(self) -> None:
        self._client.close()

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        try:
            yield
        except ResponseHandlingException as error:
            raise RetrievalError(f"vector store unreachable at {self._where}: {error}", 503) from None

    # Indexes and versions ----------------------------------------------------------------------------------

    def _record(self, index: str) -> dict[str, Any] | None:
        with self._reachable():
            if not self._client.collection_exists(INDEXES):
                return None
            found = self._client.retrieve(INDEXES, [_point_id(index)], with_payload=True)
        return dict(found[0].payload or {}) if found else None

    def _save(self, index: str, record: dict[str, Any]) -> None:
        with self._reachable():
            self._client.upsert(INDEXES, [models.PointStruct(id=_point_id(index), vector={}, payload=record)])

    def names(self) -> list[str]:
        with self._reachable():
            if not self._client.collection_exists(INDEXES):
                return []
            records, _ = self._client.scroll(INDEXES, limit=10_000, with_payload=True)
        return sorted(str((record.payload or {})["name"]) for record in records)

    def _alias_target(self, index: str) -> int | None:
        with self._reachable():
            aliases = self._client.get_aliases().aliases
        prefix = f"{index}-v"
        return next((int(a.collection_name.removeprefix(prefix)) for a in aliases
                     if a.alias_name == index and a.collection_name.startswith(prefix)), None)

    def _versions(self, index: str) -> list[int]:
        """Every version collection of `index`, ready or not."""
        prefix = f"{index}-v"
        with self._reachable():
            names = [c.name for c in self._client.get_collections().collections]
        return sorted(int(name.removeprefix(prefix)) for name in names
                      if name.startswith(prefix) and name.removeprefix(prefix).isdigit())

    def state(self, index: str) -> IndexState:
        record = self._record(index)
        if record is None:
            known = self.names()
            raise RetrievalError(f"unknown index {index!r}; known: {', '.join(known) or 'none (run rag ingest)'}",
                                 404)
        return IndexState(index, int(record["dimension"]), self._alias_target(index), record.get("previous"),
                          sorted(record.get("ready", [])))

    def create_index(self, index: str, dimension: int) -> None:
        with self._reachable():
            if not self._client.collection_exists(INDEXES):
                self._client.create_collection(INDEXES, vectors_config={})
        if self._record(index) is None:
            self._save(index, {"name": index, "dimension": dimension, "previous": None, "ready": []})

    def new_version(self, index: str, base: int | None) -> int:
        """A new, not yet ready version holding a copy of `base` (documents, chunks and their embeddings)."""
        version = max(self._versions(index), default=0) + 1
        dimension = self.state(index).dimension
        name = _collection(index, version)
        with self._reachable():
            body = models.CreateCollection.model_validate(version_collection(dimension, self._replication))
            self._client.create_collection(name, vectors_config=body.vectors, hnsw_config=body.hnsw_config,
                                           replication_factor=body.replication_factor,
                                           write_consistency_factor=body.write_consistency_factor)
            with warnings.catch_warnings():  # local mode scans instead and says so
                warnings.filterwarnings("ignore", message="Payload indexes have no effect in the local Qdrant")
                for field in KEYWORD_FIELDS:
                    self._client.create_payload_index(name, field, models.PayloadSchemaType.KEYWORD)
            if base is not None:
                for page in self._pages(_collection(index, base), None, vectors=True):
                    self._client.upsert(name, [models.PointStruct(id=p.id, vector=p.vector or {}, payload=p.payload)
                                               for p in page])
        return version

    def _pages(self, collection: str, where: models.Filter | None, vectors: bool = False) \
            -> Iterator[list[models.Record]]:
        offset = None
        while True:
            with self._reachable():
                page, offset = self._client.scroll(collection, scroll_filter=where, limit=SCROLL_PAGE, offset=offset,
                                                   with_payload=True, with_vectors=vectors)
            yield page
            if offset is None:
                return

    def mark_ready(self, index: str, version: int) -> None:
        record = self._record(index) or {}
        self._save(index, record | {"ready": sorted({*record.get("ready", []), version})})

    def drop_version(self, index: str, version: int) -> None:
        record = self._record(index)
        if record is not None:
            self._save(index, record | {"ready": [v for v in record.get("ready", []) if v != version]})
        with self._reachable():
            self._client.delete_collection(_collection(index, version))

    def _point_alias(self, index: str, version: int) -> None:
        """Move the alias to `version` in one request (delete + create are applied atomically)."""
        with self._reachable():
            self._client.update_collection_aliases([
                models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=index)),
                models.CreateAliasOperation(create_alias=models.CreateAlias(
                    collection_name=_collection(index, version), alias_name=index)),
            ])

    def activate(self, index: str, version: int) -> IndexState:
        """Point the alias at `version`."""
        state = self.state(index)
        state.require_ready(version)
        if version != state.active:
            self._point_alias(index, version)
            self._save(index, (self._record(index) or {}) | {"previous": state.active})
            self._prune(index)
        return self.state(index)

    def rollback(self, index: str) -> IndexState:
        """Swap the alias back to the previous version."""
        state = self.state(index)
        self._point_alias(index, state.require_previous())
        self._save(index, (self._record(index) or {}) | {"previous": state.active})
        return self.state(index)

    def _prune(self, index: str) -> None:
        state = self.state(index)
        newest = max(self._versions(index), default=0)
        for version in self._versions(index):
            if version not in (state.active, state.previous) and version <= newest - KEEP_VERSIONS:
                self.drop_version(index, version)

    # Documents ---------------------------------------------------------------------------------------------

    def _document_records(self, index: str, version: int) -> list[dict[str, Any]]:
        return [dict(p.payload or {}) for page in self._pages(_collection(index, version), _kind("document"))
                for p in page]

    def documents(self, index: str, version: int) -> dict[str, tuple[str, str]]:
        """document id -> (content hash, source) of one version."""
        return {r["document_id"]: (r["content_hash"], r["source"]) for r in self._document_records(index, version)}

    def source_tags(self, index: str, version: int) -> dict[str, str]:
        return {r["document_id"]: r["source_tag"] for r in self._document_records(index, version)}

    def known_embeddings(self, index: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Embeddings already stored for chunk texts of these hashes (in any version): not embedded again.
        Qdrant keeps cosine vectors normalised, which leaves every cosine score as it was."""
        found: dict[str, np.ndarray] = {}
        wanted = models.Filter(must=[_equals("kind", "chunk"), models.FieldCondition(
            key="content_hash", match=models.MatchAny(any=list(hashes)))])
        for version in self._versions(index) if hashes else []:
            for page in self._pages(_collection(index, version), wanted, vectors=True):
                for point in page:
                    vector = point.vector[VECTOR] if isinstance(point.vector, dict) else point.vector
                    found.setdefault(str((point.payload or {})["content_hash"]), np.array(vector, dtype=np.float32))
        return found

    def put_document(self, index: str, version: int, document: Document, embeddings: np.ndarray) -> None:
        """Replace one document of a version with its chunks (one upsert, then its surplus chunks removed)."""
        record = {"kind": "document", "document_id": document.document_id, "source": document.source,
                  "content_hash": document.content_hash, "modified_at": document.modified_at.isoformat(),
                  "source_tag": document.source_tag}
        points = [models.PointStruct(id=_point_id(document.document_id), vector={}, payload=record)]
        for position, (text, digest, row) in enumerate(zip(document.chunks, document.chunk_hashes, embeddings,
                                                           strict=True)):
            points.append(models.PointStruct(
                id=_point_id(document.document_id, position), vector={VECTOR: row.tolist()},
                payload={"kind": "chunk", "document_id": document.document_id, "chunk_index": position,
                         "source": document.source, "content": text, "content_hash": digest,
                         "metadata": document.metadata, "acl_restricted": "acl_groups" in document.metadata}))
        surplus = models.Filter(must=[_equals("kind", "chunk"), _equals("document_id", document.document_id),
                                      models.FieldCondition(key="chunk_index",
                                                            range=models.Range(gte=len(document.chunks)))])
        with self._reachable():
            self._client.upsert(_collection(index, version), points, wait=True)
            self._client.delete(_collection(index, version), models.FilterSelector(filter=surplus), wait=True)

    def delete_document(self, index: str, version: int, document_id: str) -> None:
        with self._reachable():
            self._client.delete(_collection(index, version), models.FilterSelector(
                filter=models.Filter(must=[_equals("document_id", document_id)])), wait=True)

    # Queries -----------------------------------------------------------------------------------------------

    def active_version(self, index: str) -> int:
        state = self.state(index)
        if state.active is None:
            raise RetrievalError(f"index {index!r} has no active version (run `rag activate`)", 409)
        return state.active

    @staticmethod
    def _filter(filters: Filters) -> models.Filter:
        """Tenant and ACL groups as Qdrant conditions; the source prefix (no prefix match on keywords) is applied to
        the hits, `lexical.matches` being the one definition of all three."""
        must: list[models.Condition] = [_equals("kind", "chunk")]
        if filters.tenant is not None:
            must.append(_equals("metadata.tenant", filters.tenant))
        if filters.acl_groups is not None:
            must.append(models.Filter(should=[_equals("acl_restricted", False), models.FieldCondition(
                key="metadata.acl_groups", match=models.MatchAny(any=list(filters.acl_groups)))]))
        return models.Filter(must=must)

    @staticmethod
    def _hit(payload: dict[str, Any], score: float) -> Hit:
        return Hit(payload["document_id"], int(payload["chunk_index"]), payload["content"], payload["source"], score,
                   payload.get("metadata", {}))

    def search(self, index: str, version: int, vector: np.ndarray, k: int, filters: Filters) -> list[Hit]:
        """The `k` chunks nearest to `vector` (cosine) among those passing `filters`: with a source prefix, the
        candidate list widens until `k` pass it or the version has no more."""
        limit = k
        while True:
            with self._reachable():
                points = self._client.query_points(_collection(index, version), query=vector.tolist(), using=VECTOR,
                                                   query_filter=self._filter(filters), limit=limit,
                                                   with_payload=True).points
            hits = [hit for hit in (self._hit(p.payload or {}, float(p.score)) for p in points)
                    if matches(hit, filters)]
            if len(hits) >= k or len(points) < limit:
                return hits[:k]
            limit *= 4

    def chunks(self, index: str, version: int, filters: Filters) -> list[Hit]:
        """Every chunk of a version passing `filters` (the lexical leg's corpus), ordered by document and position."""
        hits = [self._hit(p.payload or {}, 0.0) for page in self._pages(_collection(index, version),
                                                                         self._filter(filters)) for p in page]
        return sorted((hit for hit in hits if matches(hit, filters)), key=lambda h: (h.document_id, h.chunk_index))


def qdrant_store_at(url: str, api_key: str | None = None, replication_factor: int = 1) -> QdrantStore:
    """A store at http(s)://HOST:6333 (the in-cluster service), or qdrant-client's local mode on a directory
    (`file:///path`) or in memory (`:memory:`)."""
    if url == ":memory:":
        return QdrantStore(QdrantClient(":memory:"), "in-memory Qdrant")
    if url.startswith("file://"):
        path = url.removeprefix("file://")
        return QdrantStore(QdrantClient(path=path), f"local Qdrant ({path})")
    if not url.startswith(("http://", "https://")):
        raise RetrievalError(f"Qdrant URL {url!r}: expected http(s)://HOST:PORT, file:///PATH or :memory:")
    return QdrantStore(QdrantClient(url=url, api_key=api_key, timeout=30, check_compatibility=False), url,
                       replication_factor)

