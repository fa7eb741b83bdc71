"""Version plans (canary weights, blue-green switch) and the spec rules of `versions` and `autoscaling`."""

from __future__ import annotations

import pytest

from blueprints.errors import SpecError
from blueprints.presets import load_spec
from blueprints.rollout import VersionPlan, primary_version, version_plans


def corp_small(env: str = "prod", **versions: object):
    """internal-ai's corp-small (stable 2026-10-01, candidate 2026-11-01 at 10%) with `versions` overridden."""
    spec = load_spec("internal-ai", env, {"serving": {"models": [{}, {"versions": versions}]}} if versions else None)
    return spec, spec.serving.models[1]


def test_canary_splits_weights_and_sizes_the_candidate_by_its_share():
    spec, model = corp_small()
    stable_max = model.max_replicas
    assert version_plans(spec, model) == [
        VersionPlan("2026-10-01", "stable", 90, 2, stable_max),
        VersionPlan("2026-11-01", "candidate", 10, 2, 2),  # the prod floor, not 10% of the ceiling
    ]
    assert primary_version(model) == "2026-10-01"


def test_canary_at_half_gives_half_the_ceiling_but_never_less_than_the_floor():
    spec = load_spec("internal-ai", "prod", {"serving": {"models": [{}, {
        "max_replicas": 8, "versions": {"candidate_weight": 50}}]}})
    stable, candidate = version_plans(spec, spec.serving.models[1])
    assert (stable.weight, candidate.weight) == (50, 50)
    assert (stable.max_replicas, candidate.max_replicas) == (8, 4)
    small_share = load_spec("internal-ai", "prod", {"serving": {"models": [{}, {
        "max_replicas": 8, "versions": {"candidate_weight": 5}}]}})
    _, candidate = version_plans(small_share, small_share.serving.models[1])
    assert (candidate.min_replicas, candidate.max_replicas) == (2, 2)


def test_blue_green_runs_both_at_full_size_and_sends_everything_to_active():
    spec, model = corp_small(candidate_weight=0, strategy="blue-green", active="candidate")
    stable, candidate = version_plans(spec, model)
    assert (stable.weight, candidate.weight) == (0, 100)
    assert (stable.min_replicas, stable.max_replicas) == (candidate.min_replicas, candidate.max_replicas)
    assert primary_version(model) == "2026-11-01"


def test_rollback_of_a_canary_is_one_line():
    spec, model = corp_small(candidate_weight=0)
    assert [plan.weight for plan in version_plans(spec, model)] == [100, 0]


@pytest.mark.parametrize(("versions", "message"), [
    ({"candidate": None},
     "preset internal-ai: serving.models[1].versions.candidate_weight: 10 needs a candidate version "
     "(allowed: 0 without candidate)"),
    ({"candidate": "2026-10-01"},
     "overrides.serving.models[1].versions.candidate: '2026-10-01' is the stable version "
     "(allowed: a different version)"),
    ({"active": "candidate"},
     "overrides.serving.models[1].versions.active: a canary keeps 'stable' active and shifts traffic "
     "with candidate_weight (allowed: stable; or set strategy: blue-green)"),
    ({"strategy": "blue-green"},
     "preset internal-ai: serving.models[1].versions.candidate_weight: 10 has no effect with strategy blue-green "
     "(allowed: 0; switch traffic with active)"),
])
def test_inconsistent_versions_are_refused(versions, message):
    with pytest.raises(SpecError) as error:
        load_spec("internal-ai", "prod", {"serving": {"models": [{}, {"versions": versions}]}})
    # The message names who set the offending field: the preset (candidate_weight) or the overrides.
    assert error.value.problems == [message]


def test_version_label_must_fit_object_names():
    with pytest.raises(SpecError) as error:
        load_spec("internal-ai", "prod", {"serving": {"models": [{"versions": {"stable": "Nov_2026"}}]}})
    assert error.value.problems[0].startswith("overrides.serving.models[0].versions.stable: String should match")


def test_self_hosted_model_needs_versions():
    with pytest.raises(SpecError) as error:
        load_spec("regulated-industry", "prod", {"serving": {"models": [{"versions": None}]}})
    assert error.value.problems == [
        "overrides.serving.models[0].versions: a self-hosted model needs versions.stable (the published "
        "checkpoint version, e.g. 2026-11-01)"]


def test_scale_to_zero_is_set_by_the_minimum_alone():
    """`autoscaling.scale_to_zero` was a second switch nothing read (issue 16, defect 11): min_replicas 0 is it."""
    with pytest.raises(SpecError) as error:
        load_spec("internal-ai", "prod", {"serving": {"models": [{"autoscaling": {"scale_to_zero": True}}]}})
    assert error.value.problems[0].startswith("overrides.serving.models[0].autoscaling.scale_to_zero: unknown field")
