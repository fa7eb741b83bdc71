"""The batch tier's pure manifests and settings, and its image (hadolint, pinned base)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from blueprints.batch.manifests import (
    node_pool_manifest,
    queue_visibility_timeout_s,
    runtime_environment,
    scaling_manifests,
    workload_manifests,
)
from blueprints.batch.settings import Settings
from blueprints.presets import load_spec
from blueprints.versions import PYTHON_IMAGE
from tests.batch.support import validate

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "images" / "batch-worker" / "Dockerfile"
RESOURCES = {"bucket": "b", "kms_key_id": "arn:aws:kms:us-east-1:1:key/k", "jobs_table": "j",
             "requests_table": "r", "queue_url": "https://sqs/q", "dlq_url": "https://sqs/d"}


def test_the_environment_round_trips_into_the_runtime_settings() -> None:
    spec = load_spec("internal-ai", "prod")
    env = runtime_environment(spec, "http://litellm.gateway.svc.cluster.local:4000/v1", RESOURCES)
    # Credentials come from the mounted Secret, per container.
    assert not {"BATCH_API_KEYS", "BATCH_UPSTREAM_API_KEY", "BATCH_API_KEYS_FILE", "BATCH_UPSTREAM_API_KEY_FILE"
                } & set(env)
    settings = Settings.from_env({**env, "BATCH_API_KEYS": "k1, k2"})
    assert settings.bucket == "b" and settings.concurrency == spec.batch.concurrency
    assert settings.max_file_bytes == spec.batch.max_file_mib * 1024 * 1024
    assert settings.accepted_keys().keys() == ("k1", "k2")
    with pytest.raises(ValueError, match="missing environment variables: BATCH_BUCKET"):
        Settings.from_env({name: value for name, value in env.items() if name != "BATCH_BUCKET"})


@pytest.mark.parametrize(("preset", "env"), [("internal-ai", "prod"), ("saas", "dev")])
def test_manifests_validate(preset: str, env: str) -> None:
    spec = load_spec(preset, env)
    objects = [*workload_manifests(spec, runtime_environment(spec, "http://gw/v1", RESOURCES),
                                   image="1.dkr.ecr.us-east-1.amazonaws.com/x/batch-worker:1", region="us-east-1"),
               *scaling_manifests(spec, queue_url="https://sqs/q", region="us-east-1",
                                  scaler_role_arn="arn:aws:iam::1:role/s"),
               node_pool_manifest(spec)]
    for manifest in objects:
        assert validate(manifest) == [], manifest["metadata"]["name"]
    api = next(m for m in objects if m["kind"] == "Deployment" and m["metadata"]["name"] == "batch-api")
    assert api["spec"]["replicas"] == (2 if env == "prod" else 1)
    pdbs = {m["metadata"]["name"] for m in objects if m["kind"] == "PodDisruptionBudget"}
    assert pdbs == ({"batch-api", "batch-worker"} if env == "prod" else {"batch-worker"})


def test_visibility_covers_every_attempt_of_one_delivery() -> None:
    spec = load_spec("saas", "prod")
    assert queue_visibility_timeout_s(spec) > spec.batch.request_timeout_s * (spec.batch.retries + 1)
    slow = load_spec("saas", "prod", overrides={"batch": {"request_timeout_s": 3600, "retries": 10}})
    assert queue_visibility_timeout_s(slow) <= 43_200  # SQS's maximum, at the spec's extremes



def test_dockerfile_is_pinned_to_versions_and_hadolint_clean() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^ARG PYTHON_TAG=(.+)$", text, re.M).group(1) == PYTHON_IMAGE.tag
    assert f"FROM {PYTHON_IMAGE.repository}:" in text
    assert "USER 10001:10001" in text
    copied = set(re.findall(r"blueprints/batch/(\w+)\.py", text))
    imports = set(re.findall(r"from blueprints\.batch\.(\w+) import", "".join(
        (ROOT / "blueprints" / "batch" / f"{name}.py").read_text() for name in ("api", "worker", "store", "queue"))))
    assert imports <= copied and "manifests" not in copied
    hadolint = shutil.which("hadolint") or str(ROOT / ".venv" / "bin" / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed")
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_requirements_pin_exact_versions() -> None:
    lines = [line for line in (DOCKERFILE.parent / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines and all(re.fullmatch(r"[a-z0-9-]+==[0-9.]+", line) for line in lines)
