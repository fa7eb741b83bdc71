"""The serving entrypoint against moto's S3: sync + verify, corrupt and missing artifacts, the exact command."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tests.images.entrypoint import IMAGES_DIR, load_entrypoint

serve_model = load_entrypoint()

BUCKET = "corp-dev-use1-models-123456789012"
PREFIX = "models/corp-small/2026-11-01/"
FILES = {"config.json": b'{"architectures": ["LlamaForCausalLM"]}', "model-00001-of-00001.safetensors": b"w" * 4096,
         "tokenizer/tokenizer.json": b'{"version": "1.0"}'}
OPTIONS = {"tensor_parallel_size": 2, "max_batch_size": 64, "kv_cache_config": {"enable_block_reuse": True}}


def manifest(files: dict[str, bytes], **overrides: object) -> bytes:
    document = {
        "model": "corp-small", "version": "2026-11-01", "precision": "fp8",
        "source": "nvidia/Llama-3.1-8B-Instruct-FP8", "created_at": "2026-11-01T00:00:00Z",
        "files": [{"path": path, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
                  for path, body in files.items()],
        **overrides,
    }
    return json.dumps(document).encode()


@pytest.fixture()
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def publish(s3, files: dict[str, bytes], manifest_body: bytes | None = None) -> None:
    for path, body in files.items():
        s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}files/{path}", Body=body)
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}manifest.json", Body=manifest_body or manifest(files))


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "MODEL_SOURCE": f"s3://{BUCKET}/{PREFIX}", "MODEL_NAME": "corp-small", "MODEL_VERSION": "2026-11-01",
        "MODEL_PRECISION": "fp8", "MODEL_DIR": str(tmp_path / "models" / "corp-small"), "TP_SIZE": "2",
        "SERVER": "trtllm-serve", "LLM_API_OPTIONS": json.dumps(OPTIONS), "PREWARM_PAGE_CACHE": "true",
        "WORK_DIR": str(tmp_path), **extra,
    }


def run(env: dict[str, str], s3) -> tuple[int, list[list[str]], list[str]]:
    executed: list[list[str]] = []
    lines: list[str] = []
    code = serve_model.main(env=env, s3=s3, execute=lambda _file, argv: executed.append(argv), log=lines.append)
    return code, executed, lines


def test_good_sync_verifies_every_file_and_execs_trtllm_serve(s3, tmp_path):
    publish(s3, FILES)
    code, executed, lines = run(env_for(tmp_path), s3)
    model_dir = tmp_path / "models" / "corp-small"
    assert code == 0
    for path, body in FILES.items():
        assert (model_dir / path).read_bytes() == body
    assert not list(model_dir.rglob("*.partial"))
    assert executed == [[
        "trtllm-serve", "serve", str(model_dir), "--host", "0.0.0.0", "--port", "8000", "--backend", "pytorch",
        "--tp_size", "2", "--extra_llm_api_options", str(tmp_path / "llm-api-options.yaml"),
    ]]
    assert json.loads((tmp_path / "llm-api-options.yaml").read_text()) == OPTIONS
    assert "3 files verified (3 downloaded)" in lines[0]


def test_restart_reuses_verified_files(s3, tmp_path):
    publish(s3, FILES)
    run(env_for(tmp_path), s3)
    code, _, lines = run(env_for(tmp_path), s3)
    assert code == 0 and "(0 downloaded)" in lines[0]


def test_corrupt_file_exits_4_with_one_line(s3, tmp_path):
    tampered = dict(FILES, **{"model-00001-of-00001.safetensors": b"x" * 4096})
    publish(s3, tampered, manifest(FILES))
    code, executed, lines = run(env_for(tmp_path), s3)
    assert code == serve_model.EXIT_CORRUPT == 4
    assert executed == []
    assert len(lines) == 1 and lines[0].startswith(
        "serve-model: artifact corrupt: model-00001-of-00001.safetensors has sha256 ")
    assert not (tmp_path / "models" / "corp-small" / "model-00001-of-00001.safetensors").exists()


def test_missing_manifest_exits_3(s3, tmp_path):
    code, executed, lines = run(env_for(tmp_path), s3)
    assert (code, executed) == (3, [])
    assert lines == [f"serve-model: artifact missing: s3://{BUCKET}/{PREFIX}manifest.json not found "
                     "(publish the version first)"]


def test_missing_file_exits_3(s3, tmp_path):
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}manifest.json", Body=manifest(FILES))
    code, _, lines = run(env_for(tmp_path), s3)
    assert code == 3 and lines[0].startswith(f"serve-model: artifact missing: s3://{BUCKET}/{PREFIX}files/")


def test_manifest_of_another_precision_is_refused(s3, tmp_path):
    publish(s3, FILES, manifest(FILES, precision="bf16"))
    code, _, lines = run(env_for(tmp_path), s3)
    assert code == 4
    assert lines == [f"serve-model: artifact mismatch: s3://{BUCKET}/{PREFIX}manifest.json has precision "
                     "'bf16', expected 'fp8'"]


def test_path_outside_the_checkpoint_is_refused(s3, tmp_path):
    body = manifest(FILES)
    document = json.loads(body)
    document["files"][0]["path"] = "../escape.json"
    publish(s3, FILES, json.dumps(document).encode())
    code, _, lines = run(env_for(tmp_path), s3)
    assert code == 4 and "names a path outside the checkpoint: '../escape.json'" in lines[0]
    assert not (tmp_path / "models" / "escape.json").exists()


@pytest.mark.parametrize(("change", "message"), [
    ({"MODEL_SOURCE": "https://bucket/x"}, "MODEL_SOURCE: not an s3://bucket/prefix/ URI (got 'https://bucket/x')"),
    ({"TP_SIZE": "4"}, "LLM_API_OPTIONS: tensor_parallel_size 2 differs from TP_SIZE 4"),
    ({"LLM_API_OPTIONS": "[1]"}, "LLM_API_OPTIONS: must be a JSON object (got list)"),
    ({"SERVER": "vllm"}, "SERVER: unknown server 'vllm' (allowed: trtllm-serve, triton)"),
])
def test_bad_configuration_exits_2(s3, tmp_path, change, message):
    code, executed, lines = run(env_for(tmp_path, **change), s3)
    assert (code, executed, lines) == (2, [], [f"serve-model: {message}"])


def test_triton_assembles_the_model_repository(s3, tmp_path):
    publish(s3, FILES)
    config_dir, backend_dir = tmp_path / "config", tmp_path / "backend"
    config_dir.mkdir()
    backend_dir.mkdir()
    (config_dir / "config.pbtxt").write_text('name: "corp-small"\n')
    (config_dir / "model.yaml").write_text("backend: pytorch\n")
    for name in ("model.py", "helpers.py"):
        (backend_dir / name).write_text(f"# upstream {name}\n")
    env = env_for(tmp_path, SERVER="triton", TRITON_MODEL_CONFIG_DIR=str(config_dir),
                  TRITON_BACKEND_DIR=str(backend_dir), TRITON_ADAPTER=str(IMAGES_DIR / "triton-trtllm" / "model.py"))
    code, executed, _ = run(env, s3)
    repository = tmp_path / "triton-repository"
    assert code == 0
    # Arguments of Triton's OpenAI frontend (triton-inference-server/server r26.09
    # python/openai/openai_frontend/main.py parse_args).
    assert executed == [["python3", "/opt/tritonserver/python/openai/openai_frontend/main.py",
                         "--model-repository", str(repository), "--tokenizer", env["MODEL_DIR"],
                         "--backend", "tensorrtllm", "--host", "0.0.0.0", "--openai-port", "9000"]]
    version = repository / "corp-small" / "1"
    assert sorted(str(p.relative_to(repository)) for p in repository.rglob("*") if p.is_file()) == [
        "corp-small/1/helpers.py", "corp-small/1/llmapi_model.py", "corp-small/1/model.py", "corp-small/1/model.yaml",
        "corp-small/config.pbtxt"]
    assert (version / "llmapi_model.py").read_text() == "# upstream model.py\n"
    assert (version / "model.py").read_text() == (IMAGES_DIR / "triton-trtllm" / "model.py").read_text()
