"""`ab report`'s statistics against published worked examples, and its bad-input lines."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import pytest

from blueprints.cli import main
from blueprints.evaluation.results import CaseResult, EvalResult, RunInfo, summarize, write
from blueprints.experiments.report import mean_difference, mean_interval, rate_difference, wilson
from blueprints.feedback.protocol import KEY
from blueprints.feedback.store import FeedbackStore


def test_wilson_interval_matches_newcombe_1998() -> None:
    # Newcombe, "Two-sided confidence intervals for the single proportion" (Stat Med 1998;17:857-872), Table II,
    # example 81/263, method 3 (score): 0.2553 to 0.3662.
    estimate = wilson(81, 263, 0.05)
    assert (round(estimate.lower, 4), round(estimate.upper, 4)) == (0.2553, 0.3662)


def test_rate_difference_matches_newcombe_1998() -> None:
    # Newcombe, "Interval estimation for the difference between independent proportions" (Stat Med 1998;17:873-890),
    # Table II, example 56/70 - 48/80, method 10 (hybrid score): 0.0524 to 0.3339.
    difference = rate_difference(wilson(56, 70, 0.05), wilson(48, 80, 0.05))
    assert round(difference.value, 4) == 0.2
    assert (round(difference.lower, 4), round(difference.upper, 4)) == (0.0524, 0.3339)


def test_bootstrap_intervals_cover_the_mean_and_separate_shifted_samples() -> None:
    values = [0.1 * (i % 10) for i in range(200)]  # mean 0.45, standard error ~0.02
    estimate = mean_interval(values, 0.05)
    assert estimate.lower < 0.45 < estimate.upper and estimate.upper - estimate.lower < 0.12
    shifted = mean_difference([v + 0.2 for v in values], values, 0.05)
    assert 0.1 < shifted.lower < 0.2 < shifted.upper < 0.3
    assert mean_interval(values, 0.05) == estimate, "a fixed seed: the same inputs give the same report"


def record(variant: str, index: int) -> dict:
    return {"id": f"r-{variant}-{index}", "startTime": 0.0, "endTime": 0.5, "response_cost": 0.001,
            "status": "success", "request_tags": [f"ab:exp:{variant}"]}


@pytest.mark.parametrize(("records", "extra", "message"), [
    ([{"id": "x", "request_tags": []}], [], "--requests: no request of any experiment"),
    ([record("control", 1)], [], "has requests of 1 variant(s) only"),
    ([record("control", 1), record("b", 2)], ["--baseline", "zzz"], "--baseline: unknown variant 'zzz'"),
    ([record("control", 1), record("b", 2)], ["--eval", "nope"], "--eval: 'nope' (allowed: VARIANT=RESULT.json)"),
    ([record("control", 1), record("b", 2)], ["--alpha", "2"], "--alpha: 2.0 (allowed: between 0 and 1"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], records: list[dict],
                                          extra: list[str], message: str) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(item) + "\n" for item in records))
    assert main(["ab", "report", "--requests", str(path), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def eval_result(path: Path, passed: int, cases: int = 40) -> Path:
    """An `eval run` result file (blueprints-eval/1) of `cases` cases, the first `passed` of them passing."""
    runs = [CaseResult(id=f"case-{i}", repeat=0, passed=i < passed) for i in range(cases)]
    write(path, EvalResult(run=RunInfo(golden="starter", golden_version="1", model="m", endpoint="http://x", repeats=1),
                           started="2026-12-04T00:00:00Z", finished="2026-12-04T00:01:00Z", results=tuple(runs),
                           summary=summarize(runs)))
    return path


def test_eval_scores_of_each_variant_come_from_its_eval_run(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(record(v, i)) + "\n" for v in ("control", "b") for i in range(5)))
    control, treatment = eval_result(tmp_path / "a.json", 36), eval_result(tmp_path / "b.json", 20)
    assert main(["ab", "report", "--requests", str(path), "--eval", f"control={control}", "--eval",
                 f"b={treatment}", "--format", "json"]) == 0
    rows = {row["variant"]: row for row in json.loads(capsys.readouterr().out)["variants"]}
    assert rows["control"]["metrics"]["eval_pass_rate"]["value"] == pytest.approx(0.9)
    assert rows["b"]["metrics"]["eval_pass_rate"]["value"] == pytest.approx(0.5)
    assert rows["b"]["differences"]["eval_pass_rate"]["upper"] < 0
    assert main(["ab", "report", "--requests", str(path), "--eval", f"ghost={control}"]) == 2
    assert "--eval: unknown variant 'ghost' (allowed: b, control)" in capsys.readouterr().err


def test_feedback_comes_from_the_deployed_feedback_table(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        moto_endpoint: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """`--feedback-table` reads the ratings the feedback service stored (its own writer, FeedbackStore.put_once) from
    DynamoDB (a moto server, reached through boto3's standard AWS_ENDPOINT_URL), more than one BatchGetItem's 100
    keys of them."""
    for name, value in {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_DEFAULT_REGION": "eu-central-1",
                        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    db = boto3.client("dynamodb")
    table = f"feedback-{uuid.uuid4().hex[:8]}"
    db.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=[{"AttributeName": KEY, "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}])
    store = FeedbackStore(db, table)
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(record(v, i)) + "\n" for v in ("control", "b") for i in range(150)))
    for i in range(120):  # control: 120 of 150 rated, all up; b: 60 rated, half down
        store.put_once({KEY: f"r-control-{i}", "rating": 1})
    for i in range(60):
        store.put_once({KEY: f"r-b-{i}", "rating": 1 if i % 2 else -1})
    store.put_once({KEY: "r-elsewhere-1", "rating": -1})  # not a request of this experiment
    assert main(["ab", "report", "--requests", str(path), "--feedback-table", table, "--format", "json"]) == 0
    rows = {row["variant"]: row for row in json.loads(capsys.readouterr().out)["variants"]}
    assert rows["control"]["metrics"]["feedback_rate"]["value"] == pytest.approx(0.8)
    assert rows["control"]["metrics"]["feedback_score"]["value"] == pytest.approx(1.0)
    assert rows["b"]["metrics"]["feedback_rate"]["value"] == pytest.approx(0.4)
    assert rows["b"]["metrics"]["feedback_score"]["value"] == pytest.approx(0.5)
    assert main(["ab", "report", "--requests", str(path), "--feedback-table", "no-such-table"]) == 2
    assert "--feedback-table: no-such-table" in capsys.readouterr().err
