"""The documents bucket as ingestion and the freshness gauge see it: each document's last modification and its
version tag (its ETag, plus its `<key>.meta.json` sidecar's), compared with the tags the active version holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from blueprints.retrieval.ingest import METADATA_SUFFIX
from blueprints.retrieval.parsing import kind_of


@dataclass(frozen=True)
class BucketDocument:
    key: str
    modified_at: datetime
    tag: str
    has_metadata: bool


def documents(s3: Any, bucket: str) -> tuple[list[BucketDocument], list[str]]:
    """The bucket's documents (sidecars folded in) and the keys skipped for their type."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    listing = {item["Key"]: (item["LastModified"], item["ETag"]) for page in pages for item in page.get("Contents", [])}
    found, skipped = [], []
    for key, (modified, etag) in sorted(listing.items()):
        if key.endswith(METADATA_SUFFIX):
            continue
        if kind_of(key) is None:
            skipped.append(key)
            continue
        sidecar = listing.get(key + METADATA_SUFFIX)
        found.append(BucketDocument(key, max(modified, sidecar[0]) if sidecar else modified,
                                    etag + (f"+{sidecar[1]}" if sidecar else ""), sidecar is not None))
    return found, skipped


def pending_age(found: list[BucketDocument], indexed: Mapping[str, str], now: datetime) -> float:
    """Age of the newest document whose tag the active version does not hold; 0 when there is none."""
    pending = [document.modified_at for document in found if indexed.get(document.key) != document.tag]
    return max(0.0, (now - max(pending)).total_seconds()) if pending else 0.0
