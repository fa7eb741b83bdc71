"""The spec's feedback checks: a judge must be a served model; where prompts may not be stored nothing is sampled;
the service needs the gateway's Redis. Each a one-line message naming the path, the value and what is allowed."""

from __future__ import annotations

import pytest

from blueprints.presets import load_spec


@pytest.mark.parametrize(("preset", "overrides", "message"), [
    ("regulated-industry", {"feedback": {"drift_sample_percent": 5}},
     r"feedback\.drift_sample_percent: 5\.0 where prompts may not be stored .*\(allowed: 0\)"),
    ("regulated-industry", {"feedback": {"judge_model": "reg-large", "judge_sample_percent": 1}},
     r"feedback\.judge_sample_percent: 1\.0 where prompts may not be stored"),
    ("internal-ai", {"feedback": {"judge_model": "gpt-judge"}},
     r"feedback\.judge_model: 'gpt-judge' is not a served model \(allowed: corp-large, corp-small, or null\)"),
    ("saas", {"cache": {"enabled": False}}, r"feedback\.enabled: true needs the gateway's Redis"),
])
def test_bad_feedback_settings_are_refused_with_one_line(preset: str, overrides: dict, message: str) -> None:
    with pytest.raises(Exception, match=message):
        load_spec(preset, "prod", overrides)


def test_regulated_industry_collects_ratings_only_and_may_sample_where_prompts_are_logged() -> None:
    regulated = load_spec("regulated-industry", "prod")
    assert regulated.feedback.enabled and not regulated.feedback.samples_prompts()
    logged = load_spec("regulated-industry", "prod", {"audit": {"log_prompts": True},
                                                      "feedback": {"drift_sample_percent": 5}})
    assert logged.feedback.samples_prompts()
