"""Ingestion: source objects -> parse -> chunk -> embed (only chunks whose text is new) -> a new index version.

Every object is parsed and chunked before anything is written, so one bad document fails the run with one error
and leaves the index as it was. The new version starts as a copy of the active one; changed and new documents
are replaced one transaction each, removed ones deleted; the version is then activated (the alias moves). A run
that finds nothing changed creates no version at all."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from blueprints.retrieval.chunking import chunk
from blueprints.retrieval.embedders import Embedder
from blueprints.retrieval.errors import RetrievalError
from blueprints.retrieval.parsing import MAX_DOCUMENT_BYTES, kind_of, parse
from blueprints.retrieval.store import Document, VectorStore

METADATA_SUFFIX = ".meta.json"
"""`<document>.meta.json` beside a document: its metadata (`tenant`, `acl_groups`, anything else), a JSON object."""


@dataclass(frozen=True)
class SourceObject:
    """One object of the documents source (a file, an S3 object)."""

    key: str
    source: str
    modified_at: datetime
    data: bytes
    metadata: dict[str, Any]
    tag: str = ""


@dataclass(frozen=True)
class Settings:
    chunk_size: int = 200
    chunk_overlap: int = 40
    max_document_bytes: int = MAX_DOCUMENT_BYTES
    activate: bool = True


@dataclass
class Report:
    index: str
    version: int | None
    active: int | None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def check_metadata(key: str, metadata: Any) -> dict[str, Any]:
    if not isinstance(metadata, dict):
        raise RetrievalError(f"{key}{METADATA_SUFFIX}: metadata must be a JSON object")
    groups = metadata.get("acl_groups")
    if groups is not None and not (isinstance(groups, list) and all(isinstance(g, str) for g in groups)):
        raise RetrievalError(f"{key}{METADATA_SUFFIX}: acl_groups must be a list of strings, got {groups!r}")
    if "tenant" in metadata and not isinstance(metadata["tenant"], str):
        raise RetrievalError(f"{key}{METADATA_SUFFIX}: tenant must be a string, got {metadata['tenant']!r}")
    return metadata


def directory_objects(root: Path) -> tuple[list[SourceObject], list[str]]:
    """The documents under `root` (relative POSIX paths as keys) and the files skipped for their type."""
    if not root.is_dir():
        raise RetrievalError(f"{root}: not a directory")
    objects, skipped = [], []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(root).parts) or key.endswith(METADATA_SUFFIX):
            continue
        if kind_of(key) is None:
            skipped.append(key)
            continue
        sidecar = path.with_name(path.name + METADATA_SUFFIX)
        try:
            metadata = json.loads(sidecar.read_text()) if sidecar.exists() else {}
        except json.JSONDecodeError as error:
            raise RetrievalError(f"{sidecar}: not JSON ({error})") from None
        stat = path.stat()
        objects.append(SourceObject(key, key, datetime.fromtimestamp(stat.st_mtime, UTC), path.read_bytes(),
                                    check_metadata(key, metadata)))
    return objects, skipped


def prepare(objects: Iterable[SourceObject], settings: Settings) -> list[Document]:
    """Parse and chunk every object (any bad one raises before anything is written)."""
    documents = []
    for item in objects:
        text = parse(item.key, item.data, settings.max_document_bytes)
        chunks = chunk(text, settings.chunk_size, settings.chunk_overlap)
        digest = hashlib.sha256(item.data)
        digest.update(json.dumps([item.metadata, settings.chunk_size, settings.chunk_overlap],
                                 sort_keys=True).encode())
        documents.append(Document(item.key, item.source, digest.hexdigest(), item.modified_at, item.metadata,
                                  [c.text for c in chunks], [c.content_hash for c in chunks], item.tag))
    return documents


def freshness_seconds(documents: Iterable[Document], indexed: dict[str, tuple[str, str]],
                      now: datetime | None = None) -> float:
    """Age of the newest source object not yet indexed (new or changed since the active version); 0 when none."""
    pending = [d.modified_at for d in documents if indexed.get(d.document_id, ("",))[0] != d.content_hash]
    if not pending:
        return 0.0
    return max(0.0, ((now or datetime.now(UTC)) - max(pending)).total_seconds())


def ingest(store: VectorStore, embedder: Embedder, index: str, objects: list[SourceObject], settings: Settings,
           skipped: list[str] | None = None, unchanged: frozenset[str] = frozenset()) -> Report:
    """Build a new version from `objects`; `unchanged` names documents the caller knows are as indexed (not
    downloaded again: they stay, and do not count as deleted)."""
    started = time.monotonic()
    documents = prepare(objects, settings)
    store.create_index(index, embedder.dimension)
    state = store.state(index)
    if state.dimension != embedder.dimension:
        raise RetrievalError(f"index {index!r} stores {state.dimension}-dimensional embeddings, the embedding "
                             f"model gives {embedder.dimension}")
    indexed = store.documents(index, state.active) if state.active is not None else {}
    current = {d.document_id for d in documents} | (unchanged & set(indexed))
    report = Report(index, None, state.active, skipped=list(skipped or []))
    changed = [d for d in documents if indexed.get(d.document_id, ("",))[0] != d.content_hash]
    removed = sorted(set(indexed) - current)
    report.unchanged = len(documents) - len(changed) + len(unchanged & set(indexed))
    if not changed and not removed and state.active is not None:
        report.seconds = time.monotonic() - started
        return report
    version = store.new_version(index, state.active)
    report.version = version
    try:
        for document_id in removed:
            store.delete_document(index, version, document_id)
            report.deleted.append(document_id)
        for document in changed:
            known = store.known_embeddings(index, document.chunk_hashes)
            missing = [text for text, h in zip(document.chunks, document.chunk_hashes, strict=True) if h not in known]
            fresh = iter(embedder.embed(missing)) if missing else iter(())
            rows = [known[h] if h in known else next(fresh) for h in document.chunk_hashes]
            report.chunks_embedded += len(missing)
            report.chunks_reused += len(rows) - len(missing)
            embeddings = np.vstack(rows) if rows else np.zeros((0, embedder.dimension), dtype=np.float32)
            store.put_document(index, version, document, embeddings)
            (report.updated if document.document_id in indexed else report.added).append(document.document_id)
        store.mark_ready(index, version)
    except BaseException:
        store.drop_version(index, version)
        raise
    if settings.activate:
        report.active = store.activate(index, version).active
    report.seconds = time.monotonic() - started
    return report
