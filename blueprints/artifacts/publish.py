"""Publish a local checkpoint directory as a new model version, resumably.

Order of work: refuse if the version's manifest exists; hash every local file; upload each file that is not
already stored with the same size and SHA-256 (large files in parallel multipart parts); write the manifest
last, with a conditional put. An interrupted publish leaves files but no manifest, so the version stays
invisible, and running the same command again uploads only what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig

from blueprints.artifacts.manifest import (
    SHA256_METADATA_KEY,
    Manifest,
    build_manifest,
    check_names,
    file_key,
    head_file,
    manifest_key,
    read_manifest,
    stored_matches,
    write_manifest,
)
from blueprints.errors import BlueprintError
from blueprints.progress import ProgressBar

MIB = 1024 * 1024
TRANSFER = TransferConfig(multipart_threshold=64 * MIB, multipart_chunksize=64 * MIB, max_concurrency=8)
"""Files above 64 MiB go up in 64 MiB parts, 8 at a time (S3 allows at most 10,000 parts: 625 GiB a file)."""


@dataclass(frozen=True)
class PublishResult:
    manifest: Manifest
    uploaded: list[str]
    skipped: list[str]
    """Files already stored with the same size and SHA-256 by an earlier, interrupted run."""


def publish(
    s3: Any,
    bucket: str,
    directory: Path,
    model: str,
    version: str,
    precision: str,
    source: str,
    progress: ProgressBar | None = None,
    transfer: TransferConfig = TRANSFER,
) -> PublishResult:
    check_names(model, version)
    existing = read_manifest(s3, bucket, model, version)
    if existing is not None:
        raise BlueprintError(
            f"--version: {version!r} of model {model!r} already exists (s3://{bucket}/{manifest_key(model, version)}, "
            f"published {existing.created_at.isoformat()}); versions are immutable, publish under a new version"
        )
    manifest = build_manifest(directory, model, version, precision, source, created_at=datetime.now(UTC))
    bar = progress or ProgressBar(manifest.total_bytes)
    uploaded, skipped = [], []
    for file in manifest.files:
        key = file_key(model, version, file.path)
        bar.start(file.path)
        if stored_matches(head_file(s3, bucket, key), file):
            bar.advance(file.size)
            skipped.append(file.path)
            continue
        s3.upload_file(
            str(directory / file.path), bucket, key,
            ExtraArgs={"Metadata": {SHA256_METADATA_KEY: file.sha256}},
            Config=transfer, Callback=bar.advance,
        )
        uploaded.append(file.path)
    write_manifest(s3, bucket, manifest)
    bar.finish()
    return PublishResult(manifest=manifest, uploaded=uploaded, skipped=skipped)
