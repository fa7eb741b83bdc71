"""`eval gate`: both versions through one endpoint, results and verdict stored together (S3 in the cluster)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from blueprints.cli import main
from tests.evaluation.test_runner import code_words, oracle
from tests.fakes.openai_backend import FakeOpenAIBackend

pytestmark = pytest.mark.integration


def _gateway(worse_version: str | None) -> FakeOpenAIBackend:
    """Answers `<model>@<version>` requests; the named version gets 12 of 40 cases wrong."""
    good, bad = oracle(), oracle(wrong=set(range(12)))

    def answer(body: dict[str, Any]) -> str:
        return (bad if body["model"] == f"corp-small@{worse_version}" else good)(body)

    return FakeOpenAIBackend(answer=answer)


@pytest.mark.parametrize(("worse", "code"), [(None, 0), ("v2", 1)])
def test_gate_stores_both_results_and_the_verdict_in_s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str], worse: str | None,
                                                        code: int) -> None:
    code_words(tmp_path / "golden.jsonl", 40)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws(), _gateway(worse) as api:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="artifacts")
        assert main(["eval", "gate", "--endpoint", api.base_url, "--golden", str(tmp_path / "golden.jsonl"),
                     "--model", "corp-small", "--stable", "v1", "--candidate", "v2",
                     "--out", "s3://artifacts/evals/corp-small/v2/"]) == code
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="artifacts")["Contents"])
        stored = json.loads(s3.get_object(Bucket="artifacts", Key="evals/corp-small/v2/verdict.json")["Body"].read())
        asked = {request.body["model"] for request in api.requests}
    assert keys == [f"evals/corp-small/v2/{name}" for name in ("baseline.json", "candidate.json", "verdict.json")]
    assert asked == {"corp-small@v1", "corp-small@v2"}
    logged = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert logged["event"] == "evaluation-gate" and logged["not_worse"] is (code == 0)
    assert stored == logged and stored["location"] == "s3://artifacts/evals/corp-small/v2"
