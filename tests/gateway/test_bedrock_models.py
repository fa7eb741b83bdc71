"""Bedrock model IDs in the generated LiteLLM config, read by the pinned LiteLLM itself.

Claude Sonnet 4 and other newer models answer a bare model ID with "Invocation of model ID ... with on-demand
throughput isn't supported": the gateway must name the inference profile of its Region's geography. LiteLLM
1.81.16 (litellm/llms/bedrock/common_utils.py) reads a profile ID's base model with get_bedrock_base_model, its API
with BedrockModelInfo.get_bedrock_route, and prices it from litellm.model_cost; this test asks it, in its own
virtualenv, for every Bedrock entry every preset generates.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from blueprints.catalog.hosted import HOSTED_MODELS
from blueprints.cli import main
from blueprints.errors import SpecError
from blueprints.gateway.litellm_config import litellm_config
from blueprints.presets import load_spec, preset_names
from tests.support.litellm_proxy import LITELLM

pytestmark = pytest.mark.integration

ENVIRONMENTS = ("dev", "staging", "prod")
ASK_LITELLM = r"""
import json, sys
import litellm
from litellm.llms.bedrock.common_utils import BedrockModelInfo, get_bedrock_cross_region_inference_regions
answers = {}
for model in json.load(sys.stdin):
    cost = litellm.model_cost.get(model.removeprefix("bedrock/"), {})
    answers[model] = {
        "base": BedrockModelInfo.get_base_model(model),
        "route": BedrockModelInfo.get_bedrock_route(model),
        "provider": litellm.get_llm_provider(model)[1],
        "usd_per_1m": [round(cost.get(key, 0) * 1e6, 6) for key in ("input_cost_per_token", "output_cost_per_token")],
    }
print(json.dumps({"geographies": get_bedrock_cross_region_inference_regions(), "models": answers}))
"""
EU_HOSTED = {"compliance": {"allow_hosted_models": True},
             "serving": {"models": [{}, {}, {"name": "eu-hosted", "hosting": "bedrock", "model": "claude-3.7-sonnet",
                                             "traffic": {"requests_per_second": 1}}]}}
"""regulated-industry with a hosted model whose EU profile stays inside its residency."""


def _bedrock_entries(spec) -> list[tuple[str, dict]]:
    return [(region, entry) for region in spec.regions for entry in litellm_config(spec, region)["model_list"]
            if entry["litellm_params"]["model"].startswith("bedrock/")]


def _specs():
    specs = {f"{preset}/{env}": load_spec(preset, env) for preset in preset_names() for env in ENVIRONMENTS}
    specs["enterprise-assistant/prod@eu-central-1"] = load_spec("enterprise-assistant", "prod",
                                                                   regions=["eu-central-1"])
    specs["regulated-industry/prod+hosted"] = load_spec("regulated-industry", "prod", overrides=EU_HOSTED)
    return specs


@pytest.fixture(scope="module")
def entries() -> dict[str, list[tuple[str, dict]]]:
    return {name: _bedrock_entries(spec) for name, spec in _specs().items()}


@pytest.fixture(scope="module")
def litellm_reads(entries) -> dict:
    if not LITELLM.exists():
        pytest.skip(f"LiteLLM not installed at {LITELLM}")
    models = sorted({entry["litellm_params"]["model"] for found in entries.values() for _, entry in found})
    done = subprocess.run([str(LITELLM.with_name("python")), "-c", ASK_LITELLM], input=json.dumps(models),
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_profile_only_models_are_called_by_their_regions_profile_in_every_preset(entries, litellm_reads) -> None:
    by_id = {model.bedrock_model_id: model for model in HOSTED_MODELS.values()}
    wrong = []
    for name, found in entries.items():
        for region, entry in found:
            model = entry["litellm_params"]["model"]
            read = litellm_reads["models"][model]
            hosted = by_id[read["base"]]  # LiteLLM finds the catalog's model behind the ID
            called = model.removeprefix("bedrock/")
            geography = called.split(".", 1)[0]
            if hosted.invocation == "INFERENCE_PROFILE" and not (
                    geography in litellm_reads["geographies"]
                    and region in next(p.source_regions for p in hosted.profiles if p.id == called)):
                wrong.append(f"{name} {region}: {entry['model_name']} calls {called}")
            assert read["provider"] == "bedrock"
            if hosted.kind == "chat":
                assert read["route"] == "converse", model  # no bedrock/converse/ route needed
    assert wrong == []
    assert any(entry["litellm_params"]["model"] == "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0"
               for _, entry in entries["saas/prod"])


def test_eu_presets_call_eu_profiles(entries) -> None:
    for name in ("enterprise-assistant/prod@eu-central-1", "regulated-industry/prod+hosted"):
        called = {entry["litellm_params"]["model"] for _, entry in entries[name]}
        assert called and all(model.startswith("bedrock/eu.") for model in called), (name, called)
    assert {region for region, _ in entries["regulated-industry/prod+hosted"]} == {"eu-central-1", "eu-north-1"}


def test_profile_ids_keep_their_token_prices(entries, litellm_reads) -> None:
    """LiteLLM's spend tracking prices a profile ID like the catalog prices the model (the plan's hosted cost)."""
    by_id = {model.bedrock_model_id: model for model in HOSTED_MODELS.values()}
    for found in entries.values():
        for _, entry in found:
            read = litellm_reads["models"][entry["litellm_params"]["model"]]
            hosted = by_id[read["base"]]
            if hosted.kind == "chat":
                assert read["usd_per_1m"] == pytest.approx([hosted.usd_per_1m_input, hosted.usd_per_1m_output])


def test_a_model_whose_profile_leaves_the_residency_is_refused() -> None:
    overrides = {"compliance": {"allow_hosted_models": True},
                 "serving": {"models": [{}, {}, {"name": "h", "hosting": "bedrock", "model": "claude-sonnet-4"}]}}
    with pytest.raises(SpecError) as error:
        load_spec("regulated-industry", "prod", overrides=overrides)
    assert str(error.value).splitlines() == [
        "overrides.serving.models[2].model: 'claude-sonnet-4' is invocable only through inference profile "
        "eu.anthropic.claude-sonnet-4-20250514-v1:0, which also routes to eu-south-1, eu-south-2, outside "
        "residency.allowed_regions (allowed in eu-central-1: claude-3.7-sonnet, claude-3-haiku, llama-3.1-405b)"]


def test_a_model_without_a_profile_for_the_region_is_bad_input(capsys) -> None:
    """Claude 3.5 Haiku has a US profile only: startup-mvp moved to Frankfurt cannot call it."""
    assert main(["plan", "--preset", "startup-mvp", "--env", "dev", "--regions", "eu-central-1"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: preset startup-mvp: serving.models[0].model: 'claude-3.5-haiku' is invocable only through an "
        "inference profile and none has eu-central-1 as a source Region (allowed in eu-central-1: claude-sonnet-4, "
        "claude-3.7-sonnet, claude-3-haiku, llama-3.1-405b)"]
