"""Prompt versions pinned to model versions: lookup, artifacts, the rollback guarantee and the spec's checks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from blueprints.errors import SpecError
from blueprints.presets import load_spec
from blueprints.prompts.gateway import litellm_prompt_settings
from blueprints.prompts.templates import artifact_files, parameter_name, prompt_for, stored_versions
from blueprints.spec import PlatformSpec

OLD, NEW = "2026-10-01", "2026-11-01"


def corp(stage: str) -> PlatformSpec:
    """internal-ai prod with corp-small (models[1]) at one stage of a rollout of NEW over OLD."""
    versions: dict[str, dict[str, Any]] = {
        "before": {"stable": OLD, "candidate": None, "candidate_weight": 0},
        "canary": {"stable": OLD, "candidate": NEW, "candidate_weight": 10},
        "promoted": {"stable": NEW, "candidate": None, "candidate_weight": 0},
        "rolled-back": {"stable": OLD, "candidate": None, "candidate_weight": 0},
    }
    return load_spec("internal-ai", "prod", overrides={"serving": {"models": [{}, {"versions": versions[stage]}]}})


def test_each_model_version_gets_its_pinned_prompt() -> None:
    spec = corp("canary")
    old, new = prompt_for(spec, "corp-small", OLD), prompt_for(spec, "corp-small", NEW)
    assert (old.prompt_version, new.prompt_version) == ("v1", "v2")
    assert old.messages() == [{"role": "system", "content": old.system}]
    assert new.messages()[1:] == [{"role": "user", "content": "Where is the travel policy?"},
                                  {"role": "assistant",
                                   "content": "In the HR handbook, section Travel; I have no other source for it."}]
    assert prompt_for(spec, "corp-large", OLD) is None  # no template: the gateway adds nothing
    with pytest.raises(ValueError, match="no prompt version pinned for model version '2020-01-01'"):
        prompt_for(spec, "corp-small", "2020-01-01")


def test_a_rollout_ships_both_prompts_and_a_rollback_restores_the_exact_artifacts() -> None:
    before, canary, promoted, back = (corp(stage) for stage in ("before", "canary", "promoted", "rolled-back"))
    assert sorted(artifact_files(canary)) == [f"corp-small@{OLD}.json", f"corp-small@{NEW}.json"]
    assert sorted(artifact_files(promoted)) == [f"corp-small@{NEW}.json"]
    assert json.loads(artifact_files(promoted)[f"corp-small@{NEW}.json"])["prompt_version"] == "v2"
    # Rollback: model version and prompt version selected together, artifacts byte-identical to before.
    assert prompt_for(back, "corp-small", back.serving.models[1].versions.stable).prompt_version == "v1"
    assert artifact_files(back) == artifact_files(before)
    assert litellm_prompt_settings(back) == litellm_prompt_settings(before)
    assert litellm_prompt_settings(back) != litellm_prompt_settings(promoted)


def test_every_declared_version_is_stored_so_a_rollback_finds_its_prompt() -> None:
    spec = corp("promoted")
    stored = {(model.name, version): json.loads(document) for model, version, document in stored_versions(spec)}
    assert set(stored) == {("corp-small", "v1"), ("corp-small", "v2")}
    assert stored[("corp-small", "v1")]["system"].startswith("You are the internal assistant")
    assert parameter_name("corp-prod-use1", "corp-small", "v2") == "/corp-prod-use1/prompts/corp-small/v2"


def test_presets_without_templates_render_nothing() -> None:
    spec = load_spec("saas", "prod")
    assert artifact_files(spec) == {} and litellm_prompt_settings(spec) == {} and stored_versions(spec) == []


TEMPLATE = {"model": "reg-small", "versions": [{"version": "v1", "system": "Be brief."}]}
STABLE = "2026-11-01"


@pytest.mark.parametrize(("prompts", "message"), [
    ({"templates": [{**TEMPLATE, "model": "ghost"}]},
     "prompts.templates[0].model: unknown model 'ghost' (allowed: reg-large, reg-small)"),
    ({"templates": [TEMPLATE, TEMPLATE], "pins": {"reg-small": {STABLE: "v1"}}},
     "prompts.templates[1].model: 'reg-small' already has a template (allowed: one per model)"),
    ({"templates": [TEMPLATE], "pins": {"reg-small": {STABLE: "v1"}, "reg-large": {STABLE: "v1"}}},
     "prompts.pins[reg-large]: no prompt template for model 'reg-large' (allowed: reg-small)"),
    ({"templates": [TEMPLATE], "pins": {"reg-small": {STABLE: "v9"}}},
     f"prompts.pins[reg-small]: model version '{STABLE}' is pinned to unknown prompt version 'v9' (allowed: v1)"),
    ({"templates": [TEMPLATE], "pins": {"reg-small": {"2026-01-01": "v1"}}},
     f"prompts.pins[reg-small]: running model version '{STABLE}' has no prompt version (allowed: one of v1)"),
    ({"templates": [{**TEMPLATE, "versions": [TEMPLATE["versions"][0]] * 2}]},
     "prompts.templates[0].versions: duplicate prompt versions ['v1']"),
    ({"templates": [{**TEMPLATE, "versions": [{"version": "v1", "system": "x" * 9000}]}]},
     "prompts.templates[0].versions[0]: prompt version 'v1' is 9042 bytes as stored (allowed: at most 8192, "
     "one SSM parameter)"),
])
def test_bad_prompt_specs_are_refused(prompts: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as error:
        load_spec("regulated-industry", "staging", overrides={"prompts": prompts})
    assert f"overrides.{message}" in error.value.problems or message in error.value.problems, error.value.problems


def test_a_hosted_models_version_is_its_catalog_key() -> None:
    spec = load_spec("saas", "prod", overrides={"prompts": {
        "templates": [{"model": "chat-large", "versions": [{"version": "v1", "system": "Be brief."}]}],
        "pins": {"chat-large": {"claude-sonnet-4": "v1"}}}})
    assert prompt_for(spec, "chat-large", "claude-sonnet-4").system == "Be brief."
    assert list(litellm_prompt_settings(spec)["model_info"]) == ["chat-large"]
