import hashlib
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from blueprints.artifacts.manifest import (
    Manifest,
    ManifestFile,
    build_manifest,
    file_key,
    list_models,
    list_versions,
    manifest_key,
    read_manifest,
    verify_version,
    write_manifest,
)
from blueprints.errors import BlueprintError
from tests.artifacts.conftest import BUCKET

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def checkpoint(tmp_path):
    directory = tmp_path / "ckpt"
    (directory / "tokenizer").mkdir(parents=True)
    (directory / "config.json").write_text('{"architectures": ["LlamaForCausalLM"]}')
    (directory / "model.safetensors").write_bytes(b"\x00\x01" * 5000)
    (directory / "tokenizer" / "tokenizer.json").write_text("{}")
    return directory


def test_layout_keys_follow_the_shared_format():
    assert manifest_key("assistant", "2026-11-01") == "models/assistant/2026-11-01/manifest.json"
    assert file_key("assistant", "2026-11-01", "tokenizer/tokenizer.json") == (
        "models/assistant/2026-11-01/files/tokenizer/tokenizer.json"
    )


def test_build_manifest_hashes_every_file_sorted_by_path(checkpoint):
    manifest = build_manifest(checkpoint, "assistant", "2026-11-01", "fp8", "nvidia/Llama-3.1-8B-Instruct-FP8", NOW)
    assert [file.path for file in manifest.files] == ["config.json", "model.safetensors", "tokenizer/tokenizer.json"]
    weights = manifest.files[1]
    assert weights.size == 10000
    assert weights.sha256 == hashlib.sha256(b"\x00\x01" * 5000).hexdigest()
    assert manifest.total_bytes == sum(file.size for file in manifest.files)
    dumped = manifest.model_dump(mode="json")
    assert set(dumped) == {"model", "version", "precision", "source", "created_at", "files"}
    assert dumped["created_at"] == "2026-11-02T12:00:00Z"


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../b", "", "a//b"])
def test_manifest_file_paths_must_stay_inside_the_checkpoint(path):
    with pytest.raises(ValidationError):
        ManifestFile(path=path, size=1, sha256="0" * 64)


def test_manifest_rejects_unknown_keys():
    with pytest.raises(ValidationError):
        Manifest.model_validate(
            {"model": "m", "version": "2026-11-01", "precision": "fp8", "source": "s", "created_at": NOW,
             "files": [], "x": 1}
        )


@pytest.mark.parametrize(
    ("model", "version", "flag"), [("Bad_Name", "2026-11-01", "--model"), ("assistant", "../v1", "--version")]
)
def test_bad_names_are_refused_with_the_flag(checkpoint, model, version, flag):
    with pytest.raises(BlueprintError, match=f"^{flag}: "):
        build_manifest(checkpoint, model, version, "fp8", "s", NOW)


def test_symlinks_are_refused(checkpoint):
    (checkpoint / "link.bin").symlink_to(checkpoint / "config.json")
    with pytest.raises(BlueprintError, match="symbolic links are not published"):
        build_manifest(checkpoint, "assistant", "2026-11-01", "fp8", "s", NOW)


def _upload(s3, manifest: Manifest, directory) -> None:
    for file in manifest.files:
        s3.put_object(
            Bucket=BUCKET, Key=file_key(manifest.model, manifest.version, file.path),
            Body=(directory / file.path).read_bytes(), Metadata={"sha256": file.sha256},
        )
    write_manifest(s3, BUCKET, manifest)


def test_verify_passes_for_a_complete_version_quick_and_deep(s3, checkpoint):
    manifest = build_manifest(checkpoint, "assistant", "2026-11-01", "fp8", "s", NOW)
    _upload(s3, manifest, checkpoint)
    assert read_manifest(s3, BUCKET, "assistant", "2026-11-01") == manifest
    assert verify_version(s3, BUCKET, "assistant", "2026-11-01") == []
    assert verify_version(s3, BUCKET, "assistant", "2026-11-01", deep=True) == []
    assert list_versions(s3, BUCKET, "assistant") == ["2026-11-01"]
    assert list_models(s3, BUCKET) == ["assistant"]


def test_verify_names_missing_resized_and_corrupted_files(s3, checkpoint):
    manifest = build_manifest(checkpoint, "assistant", "2026-11-01", "fp8", "s", NOW)
    _upload(s3, manifest, checkpoint)
    s3.delete_object(Bucket=BUCKET, Key=file_key("assistant", "2026-11-01", "config.json"))
    s3.put_object(Bucket=BUCKET, Key=file_key("assistant", "2026-11-01", "tokenizer/tokenizer.json"), Body=b"{} ",
                  Metadata={"sha256": manifest.files[2].sha256})
    assert verify_version(s3, BUCKET, "assistant", "2026-11-01") == [
        "config.json: missing from s3://artifacts-test/models/assistant/2026-11-01/files/",
        "tokenizer/tokenizer.json: size 3 bytes, manifest says 2",
    ]
    # Same size, same recorded hash, different bytes: only the deep check sees it.
    s3.put_object(Bucket=BUCKET, Key=file_key("assistant", "2026-11-01", "model.safetensors"), Body=b"\x01\x00" * 5000,
                  Metadata={"sha256": manifest.files[1].sha256})
    assert "model.safetensors: content hashes differently from the manifest" in verify_version(
        s3, BUCKET, "assistant", "2026-11-01", deep=True
    )


def test_verify_reports_a_version_without_manifest(s3):
    assert verify_version(s3, BUCKET, "assistant", "2026-12-09") == [
        "s3://artifacts-test/models/assistant/2026-12-09/: no manifest.json "
        "(version not published, or its upload never finished)"
    ]


def test_write_manifest_never_replaces_one(s3, checkpoint):
    manifest = build_manifest(checkpoint, "assistant", "2026-11-01", "fp8", "s", NOW)
    write_manifest(s3, BUCKET, manifest)
    with pytest.raises(BlueprintError, match="was published meanwhile"):
        write_manifest(s3, BUCKET, manifest.model_copy(update={"source": "other"}))
    assert read_manifest(s3, BUCKET, "assistant", "2026-11-01").source == "s"
