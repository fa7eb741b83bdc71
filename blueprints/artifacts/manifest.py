"""The artifacts bucket layout and the manifest of one model version, shared with the serving image.

Layout (one prefix per model version; nothing outside it is read):

    s3://<bucket>/models/<model>/<version>/manifest.json
    s3://<bucket>/models/<model>/<version>/files/<relative path>

`<model>` is the served model name (`serving.models[].name`), `<version>` a label chosen at publish time. The
manifest is written last, so a version is complete exactly when its manifest exists. Every file object carries
its SHA-256 (hex) in the user metadata key `sha256`, so it can be checked with one HEAD request; a deep check
downloads and hashes the bytes.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from blueprints.errors import BlueprintError
from blueprints.spec import DnsLabel, VersionLabel

MODELS_PREFIX = "models"
MANIFEST_NAME = "manifest.json"
FILES_DIR = "files"
SHA256_METADATA_KEY = "sha256"
"""User metadata key (`x-amz-meta-sha256`) holding each file object's hex SHA-256."""
HASH_CHUNK_BYTES = 8 * 1024 * 1024

MODEL_NAME = re.compile(DnsLabel.__metadata__[0].pattern)
"""The served model name: the spec's `DnsLabel`."""
VERSION_LABEL = re.compile(VersionLabel.__metadata__[0].pattern)
"""The spec's `VersionLabel`: version labels are part of S3 keys and Kubernetes object names."""


class ManifestFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    """Relative POSIX path inside the checkpoint directory, e.g. `model-00001-of-00004.safetensors`."""
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        pure = PurePosixPath(value)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts or str(pure) != value:
            raise ValueError(f"must be a normalised relative path inside the checkpoint (got {value!r})")
        return value


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(pattern=MODEL_NAME.pattern)
    version: str = Field(pattern=VERSION_LABEL.pattern)
    precision: str
    source: str
    """Where the checkpoint came from, e.g. a Hugging Face repo id or a build pipeline run."""
    created_at: datetime
    files: list[ManifestFile]

    @property
    def total_bytes(self) -> int:
        return sum(file.size for file in self.files)


def check_names(model: str, version: str) -> None:
    """Bad input for --model / --version names, before anything touches the bucket."""
    if not MODEL_NAME.match(model):
        raise BlueprintError(
            f"--model: {model!r} is not a served model name (allowed: lowercase letters, digits and '-', "
            "starting with a letter, at most 32 characters)"
        )
    if not VERSION_LABEL.match(version):
        raise BlueprintError(
            f"--version: {version!r} is not a version label (allowed: lowercase letters, digits and '-', "
            "starting and ending with a letter or digit, at most 20 characters, e.g. 2026-11-01)"
        )


def model_prefix(model: str) -> str:
    return f"{MODELS_PREFIX}/{model}/"


def version_prefix(model: str, version: str) -> str:
    return f"{model_prefix(model)}{version}/"


def manifest_key(model: str, version: str) -> str:
    return version_prefix(model, version) + MANIFEST_NAME


def file_key(model: str, version: str, path: str) -> str:
    return f"{version_prefix(model, version)}{FILES_DIR}/{path}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def checkpoint_files(directory: Path) -> list[Path]:
    """Every regular file under `directory`, sorted by relative path; symbolic links are refused."""
    if not directory.is_dir():
        raise BlueprintError(f"checkpoint: {str(directory)!r} is not a directory")
    links = sorted(str(path.relative_to(directory)) for path in directory.rglob("*") if path.is_symlink())
    if links:
        raise BlueprintError(f"checkpoint: symbolic links are not published (got {', '.join(links)}); copy the files")
    files = sorted((path for path in directory.rglob("*") if path.is_file()), key=lambda p: p.as_posix())
    if not files:
        raise BlueprintError(f"checkpoint: {str(directory)!r} holds no files")
    return files


def build_manifest(
    directory: Path, model: str, version: str, precision: str, source: str, created_at: datetime
) -> Manifest:
    """Hash every file of a local checkpoint directory into a manifest."""
    check_names(model, version)
    return Manifest(
        model=model,
        version=version,
        precision=precision,
        source=source,
        created_at=created_at,
        files=[
            ManifestFile(path=path.relative_to(directory).as_posix(), size=path.stat().st_size, sha256=sha256_of(path))
            for path in checkpoint_files(directory)
        ],
    )


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}


def read_manifest(s3: Any, bucket: str, model: str, version: str) -> Manifest | None:
    """The version's manifest, or None when the version is absent or incomplete (no manifest yet)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=manifest_key(model, version))["Body"].read()
    except ClientError as error:
        if _missing(error):
            return None
        raise
    return Manifest.model_validate_json(body)


def write_manifest(s3: Any, bucket: str, manifest: Manifest) -> None:
    """Write the manifest only if none exists (S3 conditional write): a published version is never replaced."""
    key = manifest_key(manifest.model, manifest.version)
    try:
        s3.put_object(
            Bucket=bucket, Key=key, Body=(manifest.model_dump_json(indent=2) + "\n").encode(),
            ContentType="application/json", IfNoneMatch="*",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "PreconditionFailed":
            raise BlueprintError(
                f"--version: {manifest.version!r} of model {manifest.model!r} was published meanwhile "
                f"(s3://{bucket}/{key} exists); publish under a new version"
            ) from None
        raise


def head_file(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        return s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if _missing(error):
            return None
        raise


def stored_matches(head: dict[str, Any] | None, file: ManifestFile) -> bool:
    """Whether a HEAD response shows the object already holds exactly this file (size and recorded SHA-256)."""
    return (
        head is not None
        and head.get("ContentLength") == file.size
        and head.get("Metadata", {}).get(SHA256_METADATA_KEY) == file.sha256
    )


def _object_sha256(s3: Any, bucket: str, key: str) -> str:
    digest = hashlib.sha256()
    for chunk in s3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(HASH_CHUNK_BYTES):
        digest.update(chunk)
    return digest.hexdigest()


def verify_version(s3: Any, bucket: str, model: str, version: str, deep: bool = False,
                   source: str | None = None) -> list[str]:
    """Problems with one published version; [] when every manifest entry exists with its size and SHA-256.

    The quick check compares sizes and the recorded `sha256` metadata (one HEAD per file); `deep` also
    downloads every object and hashes its bytes. `source`: the checkpoint the spec says this model serves
    (`serving.models[].checkpoint`); a version published from another one is a problem.
    """
    manifest = read_manifest(s3, bucket, model, version)
    where = f"s3://{bucket}/{version_prefix(model, version)}"
    if manifest is None:
        return [f"{where}: no {MANIFEST_NAME} (version not published, or its upload never finished)"]
    if (manifest.model, manifest.version) != (model, version):
        return [f"{where}{MANIFEST_NAME}: names model {manifest.model!r} version {manifest.version!r}"]
    problems = []
    if source is not None and manifest.source != source:
        problems.append(f"{where}: published from {manifest.source!r}, but the spec's checkpoint is {source!r}")
    for file in manifest.files:
        key = file_key(model, version, file.path)
        head = head_file(s3, bucket, key)
        if head is None:
            problems.append(f"{file.path}: missing from {where}{FILES_DIR}/")
        elif head.get("ContentLength") != file.size:
            problems.append(f"{file.path}: size {head.get('ContentLength')} bytes, manifest says {file.size}")
        elif head.get("Metadata", {}).get(SHA256_METADATA_KEY) != file.sha256:
            problems.append(f"{file.path}: recorded sha256 does not match the manifest")
        elif deep and _object_sha256(s3, bucket, key) != file.sha256:
            problems.append(f"{file.path}: content hashes differently from the manifest")
    return problems


def list_versions(s3: Any, bucket: str, model: str) -> list[str]:
    """Version labels present under the model's prefix (complete or not), sorted."""
    versions: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=model_prefix(model), Delimiter="/"):
        prefixes = page.get("CommonPrefixes", [])
        versions += [entry["Prefix"][len(model_prefix(model)) :].rstrip("/") for entry in prefixes]
    return sorted(versions)


def list_models(s3: Any, bucket: str) -> list[str]:
    models: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=f"{MODELS_PREFIX}/", Delimiter="/"):
        prefixes = page.get("CommonPrefixes", [])
        models += [entry["Prefix"][len(MODELS_PREFIX) + 1 :].rstrip("/") for entry in prefixes]
    return sorted(models)

