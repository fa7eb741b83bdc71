"""Wrong input never silently becomes another deployment, and never a traceback (issue 16, defect 12).

Every case runs the real CLI (`blueprints.cli.main`, a few through `python -m blueprints` in a subprocess) and asserts:
the exit code, exactly one line on stderr, that the line names the bad key/path/value (long values shortened), and
that nothing was created (no file under the working folder, no bucket or object in moto).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from blueprints import program
from blueprints.cli import main
from blueprints.commands import model as model_command
from blueprints.engine.program import run_under_mocks
from blueprints.errors import BlueprintError
from blueprints.operations.aws import client as aws_client
from tests.operations.support import aws  # noqa: F401  (fixture)
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[1]
LONG = "a" * 10_000
MAX_LINE = 400
BUCKET = "llm-artifacts-errors"
STACK_HEAD = "config:\n  llm-platform:preset: startup-mvp\n"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working folder (also the cwd) with a `stacks/` dir that `--stack` reads; asserts nothing new appears."""
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    monkeypatch.setattr("blueprints.commands._target.STACKS_DIR", stacks)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _stack(work: Path, text: str | bytes, name: str = "s") -> str:
    path = work / "stacks" / f"Pulumi.{name}.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return name


def _fails(capsys: pytest.CaptureFixture[str], work: Path, argv: list[str], *named: str, code: int = 2) -> str:
    """Run the CLI in-process; assert exit code, one stderr line naming `named`, and no new file in `work`."""
    before = _tree(work)
    try:
        exit_code = main(argv)
    except SystemExit as stop:  # argparse's own exit path
        exit_code = stop.code
    err = capsys.readouterr().err
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    line = lines[0]
    assert exit_code == code, line
    assert line.startswith("error: "), line
    assert len(line) <= MAX_LINE, f"{len(line)} characters: {line[:200]}..."
    for name in named:
        assert name in line, f"{name!r} not in: {line}"
    assert _tree(work) == before
    return line


# --- stack files: `plan --stack` (commands/_target.py) ---------------------------------------------------------

STACK_CASES = {
    "misspelt-key": (STACK_HEAD + "  llm-platform:enviroment: prod\n", ["llm-platform:enviroment", "environment"]),
    "key-outside-config": (STACK_HEAD + "llm-platform:environment: prod\n", ["llm-platform:environment", "config"]),
    "empty-environment": (STACK_HEAD + "  llm-platform:environment:\n", ["llm-platform:environment", "empty"]),
    "empty-preset": ("config:\n  llm-platform:preset: ''\n", ["llm-platform:preset", "empty"]),
    "unknown-environment": (STACK_HEAD + "  llm-platform:environment: production\n", ["production", "prod"]),
    "unknown-preset": ("config:\n  llm-platform:preset: sass\n", ["sass", "saas"]),
    "empty-regions": (STACK_HEAD + "  llm-platform:regions: []\n", ["llm-platform:regions", "empty"]),
    "overrides-not-mapping": (STACK_HEAD + "  llm-platform:overrides: 5\n", ["overrides", "5"]),
    "unknown-override-field": (STACK_HEAD + "  llm-platform:overrides:\n    budgte: {}\n", ["budgte", "budget"]),
    "tabs": (STACK_HEAD + "\tllm-platform:environment: prod\n", ["Pulumi.s.yaml", "tab"]),
    "utf16": ((STACK_HEAD + "  llm-platform:environment: prod\n").encode("utf-16"), ["Pulumi.s.yaml", "UTF-8"]),
    "not-a-mapping": ("- llm-platform:preset: saas\n", ["Pulumi.s.yaml", "mapping"]),
    "config-not-mapping": ("config: 3\n", ["Pulumi.s.yaml", "config"]),
    "preset-not-string": ("config:\n  llm-platform:preset: [saas]\n", ["llm-platform:preset", "saas"]),
    "long-value": (STACK_HEAD + f"  llm-platform:environment: {LONG}\n", ["llm-platform:environment", "aaa"]),
    "long-key": (STACK_HEAD + f"  llm-platform:{LONG}: 1\n", ["Pulumi.s.yaml", "line 3"]),
}


@pytest.mark.parametrize("case", sorted(STACK_CASES))
def test_bad_stack_file_is_refused(case: str, work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, named = STACK_CASES[case]
    _fails(capsys, work, ["plan", "--stack", _stack(work, text)], *named)


def test_missing_stack_file_names_the_known_ones(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _stack(work, STACK_HEAD, "other")
    _fails(capsys, work, ["plan", "--stack", "nope"], "Pulumi.nope.yaml", "other")


# --- the same rules where stacks are edited: verify / rollout / model promote (operations/stack_file.py) -------

@pytest.mark.parametrize("argv", [
    ["verify", "--stack", "s", "--outputs", "o.json"],
    ["rollout", "step", "--stack", "s", "--model", "m", "--prometheus-url", "http://127.0.0.1:9"],
    ["model", "promote", "--stack", "s", "--model", "m", "--version", "v", "--reason", "r"],
], ids=["verify", "rollout", "promote"])
def test_stack_editing_commands_refuse_a_misspelt_key(argv: list[str], work: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    _stack(work, STACK_HEAD + "  llm-platform:enviroment: prod\n")
    _fails(capsys, work, [*argv, "--stacks-dir", str(work / "stacks")], "llm-platform:enviroment")


def test_stack_editing_commands_refuse_tabs(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _stack(work, STACK_HEAD + "\tllm-platform:environment: prod\n")
    _fails(capsys, work, ["model", "rollback", "--stack", "s", "--stacks-dir", str(work / "stacks"),
                          "--model", "m", "--reason", "r"], "Pulumi.s.yaml", "tab")


# --- usage and target arguments ----------------------------------------------------------------------------------

USAGE_CASES = {
    "no-target": (["plan"], ["--preset", "--stack"]),
    "unknown-preset": (["plan", "--preset", "sass"], ["sass", "saas"]),
    "long-preset": (["plan", "--preset", LONG], ["preset", "aaa"]),
    "unknown-env": (["plan", "--preset", "saas", "--env", "production"], ["--env", "production", "prod"]),
    "unknown-command": (["plna"], ["plna", "plan"]),
    "unknown-flag": (["plan", "--preset", "saas", "--bogus"], ["--bogus"]),
    "set-without-value": (["plan", "--preset", "saas", "--set", "owner"], ["--set", "owner"]),
    "set-unknown-field": (["plan", "--preset", "saas", "--set", "ownr=x"], ["ownr", "owner"]),
    "set-empty-owner": (["plan", "--preset", "saas", "--set", "owner="], ["owner"]),
    "tag-too-long": (["plan", "--preset", "saas", "--set", "owner=" + "o" * 257], ["owner", "256"]),
    "tag-10k": (["plan", "--preset", "saas", "--set", "cost_center=" + LONG], ["cost_center", "256"]),
    "tag-bad-characters": (["plan", "--preset", "saas", "--set", "owner=team#1"], ["owner", "team#1", "@"]),
    "tag-bad-characters-cost-center": (["plan", "--preset", "saas", "--set", "cost_center=a,b"],
                                       ["cost_center", "a,b"]),
    "tp-too-large": (["plan", "--preset", "regulated-industry", "--set", "serving.models[0].tp=16"], ["tp", "16"]),
    "empty-regions": (["plan", "--preset", "saas", "--regions", ","], ["--regions"]),
    "size-unknown-model": (["size", "--model", "llama-9", "--gpu", "H100", "--isl", "1", "--osl", "1",
                            "--max-throughput"], ["llama-9"]),
    "size-unknown-gpu": (["size", "--model", "llama-3.3-70b", "--gpu", "Z9", "--isl", "1", "--osl", "1",
                          "--max-throughput"], ["Z9"]),
    "render-empty-out": (["render", "--preset", "saas", "--out", ""], ["--out", "empty"]),
    "check-unknown-pack": (["check", "--preset", "saas", "--pack", "basline"], ["basline", "baseline"]),
    "verify-missing-outputs": (["verify", "--stack", "s", "--outputs", "missing.json"], ["missing.json"]),
}


@pytest.mark.parametrize("case", sorted(USAGE_CASES))
def test_bad_usage_is_one_line(case: str, work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv, named = USAGE_CASES[case]
    if argv[0] == "verify":
        _stack(work, STACK_HEAD)
        argv = [*argv, "--stacks-dir", str(work / "stacks")]
    _fails(capsys, work, argv, *named)


# --- output paths ------------------------------------------------------------------------------------------------

def test_render_into_a_path_below_a_file(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "plain").write_text("x")
    _fails(capsys, work, ["render", "--preset", "saas", "--out", "plain/sub"], "plain/sub")


def test_render_into_a_file(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "plain").write_text("x")
    _fails(capsys, work, ["render", "--preset", "saas", "--out", "plain"], "plain")


def test_render_into_a_foreign_folder(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "mine").mkdir()
    (work / "mine" / "notes.txt").write_text("x")
    _fails(capsys, work, ["render", "--preset", "saas", "--out", "mine"], "mine")


def test_check_report_into_a_missing_folder(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fails(capsys, work, ["check", "--preset", "startup-mvp", "--report", "missing/report.md"],
           "--report", "missing")


def test_loadtest_out_below_a_file(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "plain").write_text("x")
    _fails(capsys, work, ["loadtest", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--concurrency", "1",
                          "--out", "plain/run"], "--out", "plain/run")


def test_loadtest_against_a_closed_port(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    _fails(capsys, work, ["loadtest", "--base-url", f"http://127.0.0.1:{port}/v1", "--model", "m",
                          "--concurrency", "1", "--max-requests", "3", "--duration", "3", "--out", "run"],
           "--base-url", f"127.0.0.1:{port}")


def test_loadtest_bad_length(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fails(capsys, work, ["loadtest", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--concurrency", "1",
                          "--input-tokens", "gauss:3", "--out", "run"], "--input-tokens", "gauss:3")


# --- --pack-config ------------------------------------------------------------------------------------------------

PACK_CONFIG_CASES = {
    "unknown-pack": ({"basline": {}}, ["basline", "baseline"]),
    "unknown-policy": ({"baseline": {"no-such-policy": "advisory"}}, ["no-such-policy"]),
    "unknown-level": ({"baseline": {"eks-secrets-encryption": "loud"}}, ["loud", "advisory"]),
    "unknown-environment": ({"baseline": {"eks-secrets-encryption": {"environment": "production"}}},
                            ["production", "prod"]),
    "unknown-property": ({"baseline": {"eks-secrets-encryption": {"preset": "saas"}}}, ["preset", "environment"]),
    "not-an-object": ([1, 2], ["--pack-config", "list"]),
    "pack-not-an-object": ({"baseline": 3}, ["baseline", "3"]),
}


@pytest.mark.parametrize("case", sorted(PACK_CONFIG_CASES))
def test_bad_pack_config(case: str, work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, named = PACK_CONFIG_CASES[case]
    (work / "pack.json").write_text(json.dumps(config))
    _fails(capsys, work, ["check", "--preset", "startup-mvp", "--pack-config", "pack.json"], *named)


def test_pack_config_not_json(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "pack.json").write_text("{baseline: ")
    _fails(capsys, work, ["check", "--preset", "startup-mvp", "--pack-config", "pack.json"], "pack.json")


def test_pack_config_missing(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fails(capsys, work, ["check", "--preset", "startup-mvp", "--pack-config", "nope.json"], "nope.json")


# --- AWS: no credentials, NoSuchBucket, AccessDenied ----------------------------------------------------------------

@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                     "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")


def _checkpoint(work: Path) -> Path:
    directory = work / "checkpoint"
    directory.mkdir()
    (directory / "config.json").write_text("{}")
    return directory


def _publish(directory: Path, bucket: str = BUCKET) -> list[str]:
    return ["model", "publish", str(directory), "--bucket", bucket, "--model", "m", "--version", "v1",
            "--precision", "fp8", "--source", "s"]


@pytest.mark.parametrize("argv", [
    ["model", "list", "--bucket", BUCKET],
    ["preflight", "--preset", "startup-mvp"],
], ids=["model-list", "preflight"])
def test_no_aws_credentials(argv: list[str], no_credentials: None, work: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    _fails(capsys, work, argv, "credentials")


def test_publish_without_credentials(no_credentials: None, work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fails(capsys, work, _publish(_checkpoint(work)), "credentials")


def _buckets() -> list[str]:
    return [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]


@pytest.mark.parametrize("action", ["list", "publish"])
def test_no_such_bucket(action: str, aws: None, work: Path,  # noqa: F811
                        capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["model", "list", "--bucket", BUCKET] if action == "list" else _publish(_checkpoint(work))
    _fails(capsys, work, argv, "NoSuchBucket", BUCKET)
    assert _buckets() == []


@pytest.mark.parametrize("action", ["list", "publish"])
def test_access_denied(action: str, aws: None, work: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                       capsys: pytest.CaptureFixture[str]) -> None:
    """moto allows every call without IAM enforcement, so the denial comes from botocore's Stubber."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    stubbed = aws_client("s3")  # the project's client: it remembers what each call was about
    stubber = Stubber(stubbed)
    operation = "list_objects_v2" if action == "list" else "get_object"
    stubber.add_client_error(operation, "AccessDenied", "User: arn:aws:iam::123456789012:user/ci is not authorized",
                             403)
    stubber.activate()
    monkeypatch.setattr(model_command, "client", lambda service, region=None: stubbed)
    argv = ["model", "list", "--bucket", BUCKET] if action == "list" else _publish(_checkpoint(work))
    _fails(capsys, work, argv, "AccessDenied", BUCKET)
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


# --- through `python -m blueprints`: no traceback ------------------------------------------------------------------

@pytest.mark.parametrize("argv,env,named", [
    (["verify", "--stack", "s", "--outputs", "o.json"], {}, "llm-platform:enviroment"),
    (["model", "list", "--bucket", BUCKET], {"AWS_ACCESS_KEY_ID": ""}, "credentials"),
    (["plan", "--preset", "saas", "--set", "owner=" + LONG], {}, "owner"),
], ids=["misspelt-key", "no-credentials", "long-tag"])
def test_python_m_blueprints_prints_one_line(argv: list[str], env: dict[str, str], named: str,
                                              tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.s.yaml").write_text(STACK_HEAD + "  llm-platform:enviroment: prod\n")
    if argv[0] == "verify":
        argv = [*argv, "--stacks-dir", str(tmp_path / "stacks")]
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update({"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "n"),
                        "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "eu-central-1",
                        "PYTHONPATH": str(ROOT), **env})
    before = _tree(tmp_path)
    result = subprocess.run([sys.executable, "-m", "blueprints", *argv], cwd=tmp_path, env=environment,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and named in line and len(line) <= MAX_LINE
    assert _tree(tmp_path) == before


def test_pulumi_up_refuses_a_misspelt_key() -> None:
    """The Pulumi program itself (what `pulumi up` runs) checks its namespace's keys too, before any resource."""
    with pytest.raises(BlueprintError, match="unknown config key 'llm-platform:enviroment'"):
        run_under_mocks(program.main, {"llm-platform:preset": "startup-mvp", "llm-platform:enviroment": "prod"}, "s")
