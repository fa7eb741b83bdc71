import io

import pytest
from boto3.s3.transfer import TransferConfig

from blueprints.artifacts.manifest import file_key, read_manifest, verify_version
from blueprints.artifacts.publish import publish
from blueprints.errors import BlueprintError
from blueprints.progress import ProgressBar
from tests.artifacts.conftest import BUCKET

MIB = 1024 * 1024
SMALL_PARTS = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=2)
"""S3's smallest part size, so a 12 MiB file goes up in three parts."""


class Interrupted(Exception):
    pass


class InterruptingBar(ProgressBar):
    """Fails the transfer once `limit` bytes are done, like a dropped connection or a killed process."""

    def __init__(self, total: int, limit: int):
        super().__init__(total, stream=io.StringIO())
        self.limit = limit

    def advance(self, count: int) -> None:
        super().advance(count)
        if self.done > self.limit:
            raise Interrupted(f"interrupted after {self.done} bytes")


class CountingS3:
    """The real (moto) client, counting the uploads publish starts."""

    def __init__(self, client):
        self._client = client
        self.uploads: list[str] = []

    def upload_file(self, filename, bucket, key, **kwargs):
        self.uploads.append(key.rsplit("/files/", 1)[1])
        return self._client.upload_file(filename, bucket, key, **kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


@pytest.fixture
def checkpoint(tmp_path):
    directory = tmp_path / "ckpt"
    directory.mkdir()
    (directory / "a-config.json").write_text('{"model_type": "llama"}')
    (directory / "b-weights.safetensors").write_bytes(bytes(range(256)) * (12 * MIB // 256))
    (directory / "c-tokenizer.json").write_text('{"version": "1.0"}')
    return directory


def _publish(s3, checkpoint, **kwargs):
    return publish(s3, BUCKET, checkpoint, "assistant", "2026-11-02", "fp8", "nvidia/Llama-3.1-8B-Instruct-FP8",
                   transfer=SMALL_PARTS, **kwargs)


def test_publish_uploads_files_with_their_hash_then_the_manifest(s3, checkpoint):
    stream = io.StringIO()
    result = _publish(s3, checkpoint, progress=ProgressBar(12 * MIB + 100, stream=stream))
    assert result.uploaded == ["a-config.json", "b-weights.safetensors", "c-tokenizer.json"]
    assert result.skipped == []
    assert verify_version(s3, BUCKET, "assistant", "2026-11-02", deep=True) == []
    manifest = read_manifest(s3, BUCKET, "assistant", "2026-11-02")
    assert (manifest.model, manifest.version, manifest.precision) == ("assistant", "2026-11-02", "fp8")
    assert manifest.source == "nvidia/Llama-3.1-8B-Instruct-FP8"
    head = s3.head_object(Bucket=BUCKET, Key=file_key("assistant", "2026-11-02", "b-weights.safetensors"))
    assert head["ETag"].strip('"').endswith("-3")  # three multipart parts
    assert "100%" in stream.getvalue() and "c-tokenizer.json" in stream.getvalue()


def test_publish_refuses_to_overwrite_a_published_version(s3, checkpoint):
    _publish(s3, checkpoint, progress=ProgressBar(1, stream=io.StringIO()))
    with pytest.raises(BlueprintError, match=r"^--version: '2026-11-02' of model 'assistant' already exists"):
        _publish(s3, checkpoint, progress=ProgressBar(1, stream=io.StringIO()))


def test_an_interrupted_publish_resumes_without_reuploading_finished_files(s3, checkpoint):
    counting = CountingS3(s3)
    small = (checkpoint / "a-config.json").stat().st_size
    with pytest.raises(Interrupted):
        _publish(counting, checkpoint, progress=InterruptingBar(12 * MIB, limit=small + 6 * MIB))
    # Interrupted inside the multipart upload of the large file: no manifest, so the version is not published.
    assert read_manifest(s3, BUCKET, "assistant", "2026-11-02") is None
    assert counting.uploads == ["a-config.json", "b-weights.safetensors"]
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []

    resumed = CountingS3(s3)
    result = _publish(resumed, checkpoint, progress=ProgressBar(12 * MIB, stream=io.StringIO()))
    assert result.skipped == ["a-config.json"]
    assert resumed.uploads == result.uploaded == ["b-weights.safetensors", "c-tokenizer.json"]
    assert verify_version(s3, BUCKET, "assistant", "2026-11-02", deep=True) == []


def test_a_stored_file_with_other_content_is_uploaded_again(s3, checkpoint):
    key = file_key("assistant", "2026-11-02", "a-config.json")
    s3.put_object(Bucket=BUCKET, Key=key, Body=b'{"model_type": "xxxxx"}', Metadata={"sha256": "0" * 64})
    result = _publish(s3, checkpoint, progress=ProgressBar(1, stream=io.StringIO()))
    assert "a-config.json" in result.uploaded
    assert verify_version(s3, BUCKET, "assistant", "2026-11-02", deep=True) == []
