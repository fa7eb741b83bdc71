import json

import boto3
import pytest

from blueprints.cli import main
from blueprints.operations import history
from tests.operations.support import aws, read_config, write_stack  # noqa: F401  (aws: fixture)

BUCKET = "llm-artifacts-test"


@pytest.fixture
def bucket(aws):  # noqa: F811
    boto3.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return BUCKET


@pytest.fixture
def checkpoint(tmp_path):
    directory = tmp_path / "checkpoint"
    directory.mkdir()
    (directory / "config.json").write_text("{}")
    (directory / "model.safetensors").write_bytes(b"w" * 4096)
    return directory


def _cli(capsys, *argv):
    code = main(["model", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_publish_then_list_shows_the_version(capsys, bucket, checkpoint):
    code, out, err = _cli(capsys, "publish", str(checkpoint), "--bucket", bucket, "--model", "corp-small",
                          "--version", "2026-12-01", "--precision", "fp8", "--source", "nvidia/Llama-3.1-8B-FP8")
    assert code == 0
    assert out.strip() == "published corp-small 2026-12-01: 2 files, 4.0 KiB (uploaded 2, already there 0)"
    assert "100%" in err  # the progress bar goes to stderr
    code, out, _ = _cli(capsys, "list", "--bucket", bucket, "--model", "corp-small", "--format", "json")
    [row] = json.loads(out)
    assert (row["version"], row["status"], row["files"], row["bytes"]) == ("2026-12-01", "published", 2, 4098)
    code, out, _ = _cli(capsys, "list", "--bucket", bucket)
    assert out.strip() == "corp-small"
    code, out, _ = _cli(capsys, "list", "--bucket", bucket, "--model", "corp-small")
    assert out.splitlines()[0].split() == ["VERSION", "STATUS", "PRECISION", "FILES", "SIZE", "CREATED", "SOURCE"]


def test_publishing_the_same_version_twice_is_refused(capsys, bucket, checkpoint):
    argv = ["publish", str(checkpoint), "--bucket", bucket, "--model", "corp-small", "--version", "2026-12-01",
            "--precision", "fp8", "--source", "s"]
    assert _cli(capsys, *argv)[0] == 0
    code, _, err = _cli(capsys, *argv)
    assert code == 2
    assert err.startswith("error: --version: '2026-12-01' of model 'corp-small' already exists")


def test_promote_canary_then_rollback_aborts_it(capsys, tmp_path):
    stacks = tmp_path / "stacks"
    write_stack(stacks, "prod", "regulated-industry", "prod")
    common = ["--stack", "prod", "--stacks-dir", str(stacks), "--model", "reg-small", "--actor", "alice"]
    code, out, _ = _cli(capsys, "promote", *common, "--version", "2026-12-01", "--canary", "--reason", "new quant")
    assert code == 0
    assert out.strip() == "canary: reg-small stable 2026-11-01, candidate 2026-12-01 at 5% (recorded by alice)"
    versions = read_config(stacks / "Pulumi.prod.yaml")["llm-platform:overrides"]["serving"]["models"][1]["versions"]
    assert (versions["candidate"], versions["candidate_weight"]) == ("2026-12-01", 5)
    code, out, _ = _cli(capsys, "rollback", *common, "--reason", "quality regression")
    assert code == 0 and out.strip() == "rollback: reg-small stable 2026-11-01 (recorded by alice)"
    records = history.read(stacks / "prod.rollouts.jsonl")
    assert [(r.action, r.actor, r.reason) for r in records] == [
        ("canary", "alice", "new quant"), ("rollback", "alice", "quality regression")
    ]


def test_promote_then_rollback_returns_to_the_previous_stable(capsys, tmp_path):
    stacks = tmp_path / "stacks"
    write_stack(stacks, "prod", "regulated-industry", "prod")
    common = ["--stack", "prod", "--stacks-dir", str(stacks), "--model", "reg-large"]
    assert _cli(capsys, "promote", *common, "--version", "2026-12-01", "--reason", "hotfix")[0] == 0
    assert _cli(capsys, "rollback", *common, "--reason", "bad hotfix")[0] == 0
    versions = read_config(stacks / "Pulumi.prod.yaml")["llm-platform:overrides"]["serving"]["models"][0]["versions"]
    assert versions["stable"] == "2026-11-01"
    code, _, err = _cli(capsys, "rollback", *common, "--reason", "again")
    assert code == 2 and "no earlier stable version of 'reg-large'" in err


def test_promote_checks_the_version_is_published_when_given_a_bucket(capsys, bucket, tmp_path):
    stacks = tmp_path / "stacks"
    write_stack(stacks, "prod", "regulated-industry", "prod")
    code, _, err = _cli(capsys, "promote", "--stack", "prod", "--stacks-dir", str(stacks), "--model", "reg-large",
                        "--version", "2026-12-24", "--reason", "r", "--bucket", bucket)
    assert code == 2
    assert err.startswith("error: --version: '2026-12-24' is not a complete published version: s3://")


def test_bedrock_models_have_no_versions(capsys, tmp_path):
    write_stack(tmp_path, "dev", "saas", "dev")
    code, _, err = _cli(capsys, "rollback", "--stack", "dev", "--stacks-dir", str(tmp_path), "--model", "chat-small",
                        "--reason", "r")
    assert code == 2 and "is hosted on Bedrock" in err
