"""Ingestion from the documents bucket, run by the `rag-ingestion` CronJob: list the bucket, download only objects
whose ETag (or their `<key>.meta.json` sidecar's) differs from the one the active version was built from, and build
the next index version (deletes propagate). Same RAG_* environment as the service (blueprints.retrieval.settings),
connecting as the `ingestion` role.

Run: `python -m blueprints.retrieval.worker` (exit 0 done, 2 a bad document or an unreachable store)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from typing import Any

from blueprints.retrieval.bucket import documents
from blueprints.retrieval.errors import RetrievalError
from blueprints.retrieval.ingest import METADATA_SUFFIX, Report, Settings, SourceObject, check_metadata, ingest
from blueprints.retrieval.parsing import MAX_DOCUMENT_BYTES
from blueprints.retrieval.settings import Settings as ServiceSettings

log = logging.getLogger(__name__)


def _read(s3: Any, bucket: str, key: str, limit: int) -> bytes:
    head = s3.head_object(Bucket=bucket, Key=key)
    if head["ContentLength"] > limit:
        raise RetrievalError(f"s3://{bucket}/{key}: {head['ContentLength']} bytes, more than the {limit} allowed "
                             "per document")
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def _metadata(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    try:
        return check_metadata(key, json.loads(_read(s3, bucket, key + METADATA_SUFFIX, MAX_DOCUMENT_BYTES)))
    except json.JSONDecodeError as error:
        raise RetrievalError(f"s3://{bucket}/{key}{METADATA_SUFFIX}: not JSON ({error})") from None


def run_once(settings: ServiceSettings, s3: Any, ingest_settings: Settings | None = None) -> Report:
    ingest_settings = ingest_settings or Settings()
    bucket = settings.documents_bucket
    if not bucket:
        raise RetrievalError("RAG_DOCUMENTS_BUCKET is not set: the bucket to ingest")
    store = settings.store()
    try:
        embedder = settings.embedder()
        store.create_index(settings.index, embedder.dimension)
        state = store.state(settings.index)
        indexed: Mapping[str, str] = store.source_tags(settings.index, state.active) \
            if state.active is not None else {}
        found, skipped = documents(s3, bucket)
        objects, unchanged = [], set()
        for document in found:
            if indexed.get(document.key) == document.tag:
                unchanged.add(document.key)
                continue
            metadata = _metadata(s3, bucket, document.key) if document.has_metadata else {}
            objects.append(SourceObject(document.key, f"s3://{bucket}/{document.key}", document.modified_at,
                                        _read(s3, bucket, document.key, ingest_settings.max_document_bytes),
                                        metadata, document.tag))
        return ingest(store, embedder, settings.index, objects, ingest_settings, skipped, frozenset(unchanged))
    finally:
        store.close()


def main() -> int:
    import boto3

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        settings = ServiceSettings.from_environment()
        report = run_once(settings, boto3.client("s3", region_name=settings.region))
    except RetrievalError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report.as_json(), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
