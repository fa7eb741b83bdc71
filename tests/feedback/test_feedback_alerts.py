"""The feedback alerts and the prompt-drift recording rules (observability/rules.py `feedback` group) proven with
`promtool test rules`, on series named and labelled as the feedback service and its quality worker expose them
(catalog FEEDBACK_SERVICE, checked against the running service and worker in test_feedback_service.py and
test_quality_worker.py)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprints.catalog import metrics as m
from blueprints.observability.rules import JUDGE_SCORE_MIN, MIN_JUDGE_SCORES, PROMPT_PSI, rule_files
from blueprints.presets import load_spec
from tests.observability.promtool import input_series, run, write_rule_files

pytestmark = pytest.mark.integration
VERSION = {"model_group": "corp-small", "version": "2026-11-01"}
GROUP = {"model_group": "corp-small"}
CLUSTERS = [f"c{index}" for index in range(8)]
SPEC = load_spec("internal-ai", "prod")


def _ratings(up_per_minute: float, down_per_minute: float) -> list[dict[str, str]]:
    return [input_series(m.FEEDBACK_RATINGS, {**VERSION, "variant": "", "rating": rating}, f"0+{rate}x400")
            for rating, rate in (("up", up_per_minute), ("down", down_per_minute))]


def _judged(mean: float, per_minute: float) -> list[dict[str, str]]:
    return [input_series(f"{m.JUDGE_SCORE}_count", VERSION, f"0+{per_minute}x400"),
            input_series(f"{m.JUDGE_SCORE}_sum", VERSION, f"0+{mean * per_minute}x400")]


def _prompts(reference: list[float], last_day: list[float]) -> list[dict[str, str]]:
    """Hourly prompt counts per cluster: `reference` per hour for 7 days, then `last_day` per hour (33 hours)."""
    return [input_series(m.PROMPT_CLUSTERS, {**GROUP, "cluster": cluster},
                         f"0+{before}x168 {before * 168}+{after}x32")
            for cluster, before, after in zip(CLUSTERS, reference, last_day, strict=True)]


def _alert(interval: str, series: list[dict[str, str]], eval_time: str, alert: str, labels: dict[str, str],
           fires: bool) -> dict[str, Any]:
    expected = [{"exp_labels": {"severity": "warning", **labels}}] if fires else []
    return {"interval": interval, "input_series": series,
            "alert_rule_test": [{"eval_time": eval_time, "alertname": alert, "exp_alerts": expected}]}


def psi(reference: list[float], last_day: list[float]) -> float:
    """PSI of two days of hourly counts, smoothed by one prompt per cluster as the recording rule smooths them."""
    p_total, q_total = 24 * sum(last_day) + len(last_day), 24 * sum(reference) + len(reference)
    p = [(24 * count + 1) / p_total for count in last_day]
    q = [(24 * count + 1) / q_total for count in reference]
    return sum((a - b) * math.log(a / b) for a, b in zip(p, q, strict=True))


def test_feedback_judge_and_drift_alerts_fire_on_their_signal_and_stay_silent_otherwise(tmp_path: Path) -> None:
    feedback = SPEC.feedback
    assert (feedback.down_share_threshold, feedback.min_ratings, feedback.drift_psi_threshold,
            feedback.min_drift_prompts, JUDGE_SCORE_MIN, MIN_JUDGE_SCORES) == (0.3, 20, 0.2, 200, 3.0, 20)
    uniform, shifted = [10.0] * 8, [45.0, 25.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    few_uniform, few_shifted = [0.1] * 8, [0.5, 0.3, 0, 0, 0, 0, 0, 0]
    assert psi(uniform, shifted) > 0.2 and psi(few_uniform, few_shifted) > 0.2
    tests = [
        # 40 % thumbs-down over 6 hours: fires; 10 %: silent; 50 % of 12 ratings: too few to judge.
        _alert("1m", _ratings(0.3, 0.2), "400m", "FeedbackThumbsDownHigh", VERSION, True),
        _alert("1m", _ratings(0.9, 0.1), "400m", "FeedbackThumbsDownHigh", VERSION, False),
        _alert("1m", _ratings(0.0167, 0.0167), "400m", "FeedbackThumbsDownHigh", VERSION, False),
        _alert("1m", _judged(2.0, 0.5), "400m", "JudgeScoreLow", VERSION, True),
        _alert("1m", _judged(4.2, 0.5), "400m", "JudgeScoreLow", VERSION, False),
        _alert("1m", _judged(1.0, 0.02), "400m", "JudgeScoreLow", VERSION, False),
        # The last day's prompts moved into three clusters: drift. The same mix as a week ago: none.
        _alert("1h", _prompts(uniform, shifted), "200h", "PromptDriftHigh", GROUP, True),
        _alert("1h", _prompts(uniform, uniform), "200h", "PromptDriftHigh", GROUP, False),
        _alert("1h", _prompts(shifted, shifted), "200h", "PromptDriftHigh", GROUP, False),
        # The same shift on 19 prompts a day: too few to call it drift.
        _alert("1h", _prompts(few_uniform, few_shifted), "200h", "PromptDriftHigh", GROUP, False),
        {"interval": "1h", "input_series": _prompts(uniform, shifted),
         "promql_expr_test": [{"expr": f"abs({PROMPT_PSI} - {psi(uniform, shifted)!r}) < bool 1e-9",
                               "eval_time": "200h", "exp_samples": [{"labels": '{model_group="corp-small"}',
                                                                     "value": 1}]}]},
    ]
    files = {"feedback.rules.yaml": rule_files(SPEC)["feedback.rules.yaml"]}
    paths = write_rule_files(files, tmp_path, strip_annotations=True)
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(
        {"rule_files": [p.name for p in paths], "evaluation_interval": "15m", "tests": tests}, sort_keys=False))
    result = run("test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    checked = run("check", "rules", *write_rule_files(files, tmp_path), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_only_platforms_with_the_feedback_service_get_its_rules() -> None:
    assert "feedback.rules.yaml" in rule_files(SPEC)
    assert "feedback.rules.yaml" not in rule_files(load_spec("startup-mvp", "prod"))
