#!/usr/bin/env python3
"""Entrypoint of the serving images: sync a published checkpoint from S3 to local NVMe, verify every file
against the version's manifest (SHA-256), optionally pre-warm the page cache, write the server's configuration,
then exec the model server (trtllm-serve, or Triton with the LLM-API backend) in place of this process.

Self-contained on purpose (standard library + boto3): it runs inside NVIDIA's images, not our package.

Artifact layout (written by `python -m blueprints model publish`):
    s3://<bucket>/models/<model>/<version>/manifest.json
    s3://<bucket>/models/<model>/<version>/files/<relative path>
manifest.json = {"model", "version", "precision", "source", "created_at", "files": [{"path", "size", "sha256"}]}

Exit codes: 2 bad configuration, 3 artifact missing, 4 artifact corrupt or not the expected model; each with
one line on stderr. Configuration comes from the environment (see `Settings.from_env`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

EXIT_CONFIG, EXIT_MISSING, EXIT_CORRUPT = 2, 3, 4
CHUNK = 8 * 1024 * 1024
PARALLEL_FILES = 4
TRANSFER = TransferConfig(multipart_chunksize=64 * 1024 * 1024, max_concurrency=8)
OPTIONS_FILE = "llm-api-options.yaml"
TRITON_BACKEND_DIR = Path("/opt/llmapi/tensorrt_llm/1")
"""model.py and helpers.py of the LLM-API backend, baked into the Triton image (env TRITON_BACKEND_DIR)."""
TRITON_ADAPTER = Path("/opt/blueprints/triton/model.py")
"""images/triton-trtllm/model.py: the backend's model behind the OpenAI frontend's request format."""
TRITON_OPENAI_FRONTEND = "/opt/tritonserver/python/openai/openai_frontend/main.py"
"""Triton's OpenAI-compatible frontend (triton-inference-server/server r26.09 python/openai), baked into the image."""
PORT = 8000
TRITON_OPENAI_PORT = 9000
"""The frontend's --openai-port (its default): OpenAI API, /metrics and /health/ready."""


class EntrypointError(Exception):
    exit_code = EXIT_CONFIG


class ArtifactMissing(EntrypointError):
    exit_code = EXIT_MISSING


class ArtifactCorrupt(EntrypointError):
    exit_code = EXIT_CORRUPT


@dataclass(frozen=True)
class Settings:
    bucket: str
    prefix: str
    """`models/<model>/<version>/`, always ending in a slash."""
    model: str
    version: str
    precision: str | None
    model_dir: Path
    tp_size: int
    server: str
    prewarm: bool
    options: dict[str, Any] | None
    triton_config_dir: Path | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise EntrypointError(f"{name}: not set")
            return value

        bucket, prefix = parse_s3_uri(required("MODEL_SOURCE"))
        server = env.get("SERVER", "trtllm-serve")
        if server not in ("trtllm-serve", "triton"):
            raise EntrypointError(f"SERVER: unknown server {server!r} (allowed: trtllm-serve, triton)")
        tp_text = env.get("TP_SIZE", "1")
        if not tp_text.isdigit() or int(tp_text) < 1:
            raise EntrypointError(f"TP_SIZE: must be a positive integer (got {tp_text!r})")
        options = None
        if server == "trtllm-serve":
            options = _json_object(required("LLM_API_OPTIONS"), "LLM_API_OPTIONS")
            if options.get("tensor_parallel_size", int(tp_text)) != int(tp_text):
                raise EntrypointError(f"LLM_API_OPTIONS: tensor_parallel_size {options['tensor_parallel_size']} "
                                      f"differs from TP_SIZE {tp_text}")
        triton_dir = Path(required("TRITON_MODEL_CONFIG_DIR")) if server == "triton" else None
        return cls(
            bucket=bucket, prefix=prefix, model=required("MODEL_NAME"), version=required("MODEL_VERSION"),
            precision=env.get("MODEL_PRECISION") or None, model_dir=Path(required("MODEL_DIR")),
            tp_size=int(tp_text), server=server, prewarm=env.get("PREWARM_PAGE_CACHE", "false").lower() == "true",
            options=options, triton_config_dir=triton_dir,
        )


def parse_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise EntrypointError(f"MODEL_SOURCE: not an s3://bucket/prefix/ URI (got {uri!r})")
    bucket, _, prefix = uri[5:].partition("/")
    if not bucket or not prefix:
        raise EntrypointError(f"MODEL_SOURCE: not an s3://bucket/prefix/ URI (got {uri!r})")
    return bucket, prefix.rstrip("/") + "/"


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise EntrypointError(f"{what}: not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(value, dict):
        raise EntrypointError(f"{what}: must be a JSON object (got {type(value).__name__})")
    return value


def load_manifest(s3: Any, settings: Settings) -> list[dict[str, Any]]:
    """The manifest's file list, after checking that it describes the model and version we were asked for."""
    uri = f"s3://{settings.bucket}/{settings.prefix}manifest.json"
    try:
        body = s3.get_object(Bucket=settings.bucket, Key=f"{settings.prefix}manifest.json")["Body"].read()
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404", "NoSuchBucket"):
            raise ArtifactMissing(f"artifact missing: {uri} not found (publish the version first)") from None
        raise ArtifactMissing(f"artifact unreadable: {uri}: {error.response['Error']['Code']}") from None
    try:
        manifest = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ArtifactCorrupt(f"artifact corrupt: {uri} is not JSON") from None
    expected = {"model": settings.model, "version": settings.version}
    if settings.precision:
        expected["precision"] = settings.precision
    for key, value in expected.items():
        if manifest.get(key) != value:
            raise ArtifactCorrupt(f"artifact mismatch: {uri} has {key} {manifest.get(key)!r}, expected {value!r}")
    files = manifest.get("files")
    if not isinstance(files, list) or not files:
        raise ArtifactCorrupt(f"artifact corrupt: {uri} lists no files")
    for entry in files:
        _check_entry(entry, uri)
    return files


def _check_entry(entry: Any, uri: str) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) \
            or not isinstance(entry.get("size"), int) or not isinstance(entry.get("sha256"), str):
        raise ArtifactCorrupt(f"artifact corrupt: {uri} has a malformed file entry {entry!r}")
    path = PurePosixPath(entry["path"])
    if path.is_absolute() or ".." in path.parts or str(path) != entry["path"]:
        raise ArtifactCorrupt(f"artifact corrupt: {uri} names a path outside the checkpoint: {entry['path']!r}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sync(s3: Any, settings: Settings, files: Sequence[dict[str, Any]]) -> int:
    """Download what is missing or different; verify every file. Returns the number of files downloaded."""
    settings.model_dir.mkdir(parents=True, exist_ok=True)

    def one(entry: dict[str, Any]) -> bool:
        target = settings.model_dir / entry["path"]
        if target.is_file() and target.stat().st_size == entry["size"] and sha256_of(target) == entry["sha256"]:
            return False  # Already here from an earlier start of this pod (the emptyDir outlives the container).
        key = f"{settings.prefix}files/{entry['path']}"
        partial = target.with_name(target.name + ".partial")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            s3.download_file(settings.bucket, key, str(partial), Config=TRANSFER)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise ArtifactMissing(f"artifact missing: s3://{settings.bucket}/{key} not found") from None
            raise
        actual = sha256_of(partial)
        if actual != entry["sha256"] or partial.stat().st_size != entry["size"]:
            partial.unlink()
            raise ArtifactCorrupt(f"artifact corrupt: {entry['path']} has sha256 {actual}, manifest says "
                                  f"{entry['sha256']}")
        partial.replace(target)
        return True

    with ThreadPoolExecutor(max_workers=PARALLEL_FILES) as pool:
        return sum(pool.map(one, files))


def prewarm(model_dir: Path, files: Sequence[dict[str, Any]]) -> None:
    """Read every file once so the server's weight loading hits the page cache instead of the disk."""
    for entry in files:
        with (model_dir / entry["path"]).open("rb") as handle:
            while handle.read(CHUNK):
                pass


def write_options(settings: Settings, work_dir: Path) -> Path:
    """The LLM-API options file (JSON, which YAML readers accept) next to the checkpoint."""
    path = work_dir / OPTIONS_FILE
    path.write_text(json.dumps(settings.options, indent=2, sort_keys=True) + "\n")
    return path


def trtllm_command(settings: Settings, options_file: Path) -> list[str]:
    return [
        "trtllm-serve", "serve", str(settings.model_dir),
        "--host", "0.0.0.0", "--port", str(PORT),
        "--backend", "pytorch",
        "--tp_size", str(settings.tp_size),
        "--extra_llm_api_options", str(options_file),
    ]


def triton_repository(settings: Settings, work_dir: Path, backend_dir: Path, adapter: Path) -> Path:
    """Assemble `<repo>/<model>/{config.pbtxt, 1/model.yaml, 1/model.py, 1/llmapi_model.py, 1/helpers.py}`:
    the adapter is `model.py`, importing the backend's model as `llmapi_model`."""
    assert settings.triton_config_dir is not None
    repository = work_dir / "triton-repository"
    version_dir = repository / settings.model / "1"
    version_dir.mkdir(parents=True, exist_ok=True)
    for name, target in (("config.pbtxt", repository / settings.model), ("model.yaml", version_dir)):
        source = settings.triton_config_dir / name
        if not source.is_file():
            raise EntrypointError(f"TRITON_MODEL_CONFIG_DIR: {source} missing")
        shutil.copyfile(source, target / name)
    shutil.copyfile(backend_dir / "model.py", version_dir / "llmapi_model.py")
    shutil.copyfile(backend_dir / "helpers.py", version_dir / "helpers.py")
    shutil.copyfile(adapter, version_dir / "model.py")
    return repository


def triton_command(settings: Settings, repository: Path) -> list[str]:
    """Triton in-process behind its OpenAI frontend (main.py's arguments at r26.09); the checkpoint's tokenizer
    applies the chat template; the KServe HTTP/gRPC frontends stay off."""
    return ["python3", TRITON_OPENAI_FRONTEND, "--model-repository", str(repository),
            "--tokenizer", str(settings.model_dir), "--backend", "tensorrtllm",
            "--host", "0.0.0.0", "--openai-port", str(TRITON_OPENAI_PORT)]


def server_command(settings: Settings, work_dir: Path, backend_dir: Path = TRITON_BACKEND_DIR,
                   adapter: Path = TRITON_ADAPTER) -> list[str]:
    if settings.server == "triton":
        return triton_command(settings, triton_repository(settings, work_dir, backend_dir, adapter))
    return trtllm_command(settings, write_options(settings, work_dir))


def main(
    env: Mapping[str, str] | None = None,
    s3: Any = None,
    execute: Callable[[str, list[str]], Any] = os.execvp,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> int:
    """Sync, verify, configure, exec. Returns an exit code only when it does not exec the server."""
    env = os.environ if env is None else env
    try:
        settings = Settings.from_env(env)
        client = s3 or boto3.client("s3")
        files = load_manifest(client, settings)
        downloaded = sync(client, settings, files)
        log(f"serve-model: {settings.model} {settings.version}: {len(files)} files verified "
            f"({downloaded} downloaded)")
        if settings.prewarm:
            prewarm(settings.model_dir, files)
        command = server_command(settings, Path(env.get("WORK_DIR", "/tmp")),
                                 Path(env.get("TRITON_BACKEND_DIR", str(TRITON_BACKEND_DIR))),
                                 Path(env.get("TRITON_ADAPTER", str(TRITON_ADAPTER))))
    except EntrypointError as error:
        log(f"serve-model: {error}")
        return error.exit_code
    log(f"serve-model: exec {' '.join(command)}")
    execute(command[0], command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
