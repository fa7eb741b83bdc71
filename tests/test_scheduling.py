"""Scheduled capacity: KEDA cron triggers per model, combined with metric triggers in a ScaledObject that
validates against the upstream KEDA CRD, and the spec's checks on schedules."""

from __future__ import annotations

import pytest

from blueprints.capacity import size_model
from blueprints.errors import SpecError
from blueprints.presets import load_spec
from blueprints.scheduling import cron_triggers
from tests.support.schemas import validate_manifest


def scaled_object(triggers: list[dict]) -> dict:
    return {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": "corp-small-2026-11-01", "namespace": "models"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "corp-small-2026-11-01"},
            "minReplicaCount": 0, "maxReplicaCount": 4,
            "triggers": [{"type": "prometheus", "name": "waiting-requests", "metricType": "AverageValue",
                          "metadata": {"serverAddress": "http://prometheus:9090", "query": "sum(x)",
                                       "threshold": "4"}}, *triggers],
        },
    }


def test_dev_holds_one_warm_replica_in_working_hours_and_scales_to_zero_outside() -> None:
    spec = load_spec("internal-ai", "dev")
    assert {m.name: spec.min_replicas(m) for m in spec.self_hosted_models} == {"corp-large": 0, "corp-small": 0}
    for name in ("corp-large", "corp-small"):
        assert cron_triggers(spec, name) == [{
            "type": "cron", "name": "schedule-0",
            "metadata": {"timezone": "America/New_York", "start": "0 8 * * 1-5", "end": "0 20 * * 1-5",
                         "desiredReplicas": "1"},
        }]


def test_prod_prewarms_to_the_planned_peak_before_the_working_day() -> None:
    spec = load_spec("enterprise-assistant", "prod")
    model = spec.self_hosted_models[0]
    [trigger] = cron_triggers(spec, model.name)
    planned = max(spec.min_replicas(model), min(size_model(spec, model).replicas, model.max_replicas))
    assert trigger["metadata"] == {"timezone": "America/New_York", "start": "30 7 * * 1-5", "end": "0 20 * * 1-5",
                                   "desiredReplicas": str(planned)}


def test_staging_and_unscheduled_presets_have_no_cron_triggers() -> None:
    assert cron_triggers(load_spec("internal-ai", "staging"), "corp-small") == []
    assert cron_triggers(load_spec("regulated-industry", "prod"), "reg-large") == []
    assert cron_triggers(load_spec("saas", "prod"), "chat-small") == []  # hosted: nothing to scale


def test_a_canary_prewarms_its_share_and_an_idle_version_nothing() -> None:
    spec = load_spec("internal-ai", "prod", overrides={"schedules": [{}, {"desired_replicas": 5}],
                                                       "serving": {"models": [{}, {"max_replicas": 10}]}})
    assert cron_triggers(spec, "corp-small")[0]["metadata"]["desiredReplicas"] == "5"
    assert cron_triggers(spec, "corp-small", weight_percent=10)[0]["metadata"]["desiredReplicas"] == "1"
    assert cron_triggers(spec, "corp-small", weight_percent=50)[0]["metadata"]["desiredReplicas"] == "3"
    assert cron_triggers(spec, "corp-small", weight_percent=0) == []
    with pytest.raises(ValueError, match="weight_percent: 101 is out of range"):
        cron_triggers(spec, "corp-small", weight_percent=101)


def test_desired_replicas_is_capped_by_the_models_maximum_after_sizing() -> None:
    spec = load_spec("internal-ai", "dev", overrides={"schedules": [{"desired_replicas": 500}]})
    model = next(m for m in spec.self_hosted_models if m.name == "corp-large")
    assert cron_triggers(spec, "corp-large")[0]["metadata"]["desiredReplicas"] == str(model.max_replicas)


@pytest.mark.parametrize(("preset", "env"), [("internal-ai", "dev"), ("internal-ai", "prod"),
                                             ("enterprise-assistant", "prod")])
def test_metric_and_cron_triggers_validate_against_the_keda_crd(preset: str, env: str) -> None:
    spec = load_spec(preset, env)
    for model in spec.self_hosted_models:
        triggers = cron_triggers(spec, model.name)
        if triggers:
            assert validate_manifest(scaled_object(triggers)) == []


def test_several_windows_per_model_get_distinct_names() -> None:
    spec = load_spec("enterprise-assistant", "prod", overrides={"schedules": [
        {}, {"model": "assistant", "timezone": "Europe/Berlin", "start": "0 9 * * sat", "end": "0 13 * * sat",
             "desired_replicas": 1}]})
    triggers = cron_triggers(spec, "assistant")
    assert [t["name"] for t in triggers] == ["schedule-0", "schedule-1"]
    assert triggers[1]["metadata"]["timezone"] == "Europe/Berlin"
    assert validate_manifest(scaled_object(triggers)) == []


@pytest.mark.parametrize(("schedule", "message"), [
    ({"model": "nope"}, "schedules[0].model: no self-hosted model named 'nope' (allowed: corp-large, corp-small)"),
    ({"model": "corp-small", "desired_replicas": 9, "max_replicas": 3},
     "schedules[0].desired_replicas: 9 exceeds the model's max_replicas (allowed: <= 3)"),
    ({"model": "corp-small", "timezone": "Mars/Olympus"},
     "unknown time zone 'Mars/Olympus' (allowed: an IANA name, e.g. UTC, Europe/Berlin, America/New_York)"),
    ({"model": "corp-small", "start": "0 25 * * *"},
     "'0 25 * * *': hour field '25' is not valid (allowed: *, 0-23, lists, ranges, steps)"),
    ({"model": "corp-small", "end": "0 20 * *"},
     "'0 20 * *' has 4 fields (allowed: minute hour day-of-month month day-of-week)"),
    ({"model": "corp-small", "start": "0 8 * * 1-5", "end": "0  8 * * 1-5"},
     "end: '0  8 * * 1-5' equals start (allowed: a different time)"),
])
def test_bad_schedules_are_refused_with_path_value_and_allowed(schedule: dict, message: str) -> None:
    overrides: dict = {"schedules": [{k: v for k, v in schedule.items() if k != "max_replicas"}]}
    if "max_replicas" in schedule:
        overrides["serving"] = {"models": [{}, {"max_replicas": schedule["max_replicas"]}]}
    with pytest.raises(SpecError) as error:
        load_spec("internal-ai", "staging", overrides=overrides)
    assert any(message in problem for problem in error.value.problems), error.value.problems


def test_a_hosted_model_cannot_be_scheduled() -> None:
    with pytest.raises(SpecError) as error:
        load_spec("enterprise-assistant", "staging", overrides={"schedules": [{"model": "assistant-fallback"}]})
    assert error.value.problems == [
        "overrides.schedules[0].model: no self-hosted model named 'assistant-fallback' (allowed: assistant)"]
