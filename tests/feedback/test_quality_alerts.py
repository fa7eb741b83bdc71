"""The answer-quality alerts (observability/rules.py `quality` group) proven with `promtool test rules` on series
named and labelled as the gateway's quality callback exposes them (catalog GATEWAY_QUALITY, checked against the
real proxy in test_quality_proxy.py), and the quality dashboard reading only series that exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprints.catalog import metrics as m
from blueprints.observability.dashboards import dashboards, promql
from blueprints.observability.rules import (
    JSON_VALIDITY_MIN,
    QUALITY_MIN_ANSWERS,
    REFUSAL_RATE_FLOOR,
    REFUSAL_RISE,
    rule_files,
)
from blueprints.observability.series import exported_series, problems, with_recorded
from blueprints.presets import load_spec
from tests.observability.promtool import input_series, run, write_rule_files

VERSION = {"model_group": "corp-small", "version": "2026-11-01"}


def _answers(per_minute: float, minutes: int) -> dict[str, str]:
    return input_series(m.QUALITY_ANSWERS, VERSION, f"0+{per_minute}x{minutes}")


def _case(series: list[dict[str, str]], eval_time: str, alert: str, fires: bool) -> dict[str, Any]:
    expected = [{"exp_labels": {"severity": "warning", **VERSION}}] if fires else []
    return {"interval": "1m", "input_series": series,
            "alert_rule_test": [{"eval_time": eval_time, "alertname": alert, "exp_alerts": expected}]}


@pytest.mark.integration
def test_quality_alerts_fire_on_a_refusal_rise_and_invalid_json_and_stay_silent_otherwise(tmp_path: Path) -> None:
    assert (REFUSAL_RATE_FLOOR, REFUSAL_RISE, JSON_VALIDITY_MIN, QUALITY_MIN_ANSWERS) == (0.05, 2.0, 0.95, 50)
    refusals = lambda values: input_series(m.QUALITY_REFUSALS, VERSION, values)  # noqa: E731
    json_answers = lambda valid, values: input_series(m.QUALITY_JSON_ANSWERS,  # noqa: E731
                                                      {**VERSION, "valid": valid}, values)
    tests = [
        # 2 % for two hours, then 20 % for the last hour: a rise.
        _case([_answers(10, 180), refusals("0+0.2x120 24+2x60")], "180m", "AnswerRefusalRateRising", True),
        # a steady 6 %: above the floor, but no rise.
        _case([_answers(10, 180), refusals("0+0.6x180")], "180m", "AnswerRefusalRateRising", False),
        # a new version refusing 30 % from the start: no previous day to compare with.
        _case([_answers(10, 60), refusals("0+3x60")], "60m", "AnswerRefusalRateRising", True),
        # 50 % refusals on 30 answers an hour: too few to judge.
        _case([_answers(0.5, 60), refusals("0+0.25x60")], "60m", "AnswerRefusalRateRising", False),
        _case([json_answers("true", "0+5x60"), json_answers("false", "0+5x60")], "60m", "JsonAnswerValidityLow",
              True),
        _case([json_answers("true", "0+99x60"), json_answers("false", "0+1x60")], "60m", "JsonAnswerValidityLow",
              False),
        _case([json_answers("true", "0+0.5x60"), json_answers("false", "0+0.5x60")], "60m", "JsonAnswerValidityLow",
              False),
    ]
    spec = load_spec("startup-mvp", "prod")
    paths = write_rule_files({"quality.rules.yaml": rule_files(spec)["quality.rules.yaml"]}, tmp_path,
                             strip_annotations=True)
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(
        {"rule_files": [p.name for p in paths], "evaluation_interval": "1m", "tests": tests}, sort_keys=False))
    result = run("test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    checked = run("check", "rules", *write_rule_files({"quality.rules.yaml": rule_files(spec)["quality.rules.yaml"]},
                                                        tmp_path), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(("preset", "queries"), [("startup-mvp", 5), ("internal-ai", 11), ("regulated-industry", 7)])
def test_the_quality_dashboard_reads_only_series_that_exist(preset: str, queries: int) -> None:
    """With the feedback service: feedback rate and thumbs-down share; where answers are sampled (not in
    regulated-industry) judge scores, prompt PSI and cluster shares too (recorded by the feedback rules)."""
    spec = load_spec(preset, "prod")
    board = dashboards(spec)["quality.json"]
    known = with_recorded(rule_files(spec).values(), exported_series(spec))
    assert [problem for query in promql(board) for problem in problems(query, known)] == []
    assert len(promql(board)) == queries
