import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from blueprints.catalog.embeddings import EMBEDDING_MODELS
from blueprints.catalog.hosted import HOSTED_MODELS, hosted_named
from blueprints.catalog.providers import PROVIDER_FACTS, PROVIDER_MODELS, priced_model, provider_model
from blueprints.errors import BlueprintError


@pytest.mark.parametrize("model", HOSTED_MODELS.values(), ids=list(HOSTED_MODELS))
def test_hosted_models_have_bedrock_ids_and_sourced_prices(model):
    bedrock_id = r"(anthropic|meta|amazon|cohere)\.[a-z0-9.-]+(-v\d+(:\d+)?|:\d+)?"
    assert re.fullmatch(bedrock_id, model.bedrock_model_id)
    assert model.usd_per_1m_input > 0 and "bedrock/pricing" in model.source
    if model.kind == "embedding":
        assert model.usd_per_1m_output == 0
    else:
        assert model.usd_per_1m_output >= model.usd_per_1m_input


def test_usd_for_prices_input_and_output_tokens():
    sonnet = HOSTED_MODELS["claude-sonnet-4"]
    assert sonnet.usd_for(1_000_000, 1_000_000) == pytest.approx(18.0)
    assert HOSTED_MODELS["titan-embed-text-v2"].usd_for(1_000_000, 0) == pytest.approx(0.02)


def test_presets_can_find_chat_and_embedding_models():
    kinds = {model.kind for model in HOSTED_MODELS.values()}
    assert kinds == {"chat", "embedding"}
    with pytest.raises(BlueprintError, match="hosted: unknown name"):
        hosted_named("gpt-4o")


@pytest.mark.parametrize("model", HOSTED_MODELS.values(), ids=list(HOSTED_MODELS))
def test_profile_only_models_have_sourced_profiles_per_geography(model):
    """A profile's ID is its geography's prefix on the model ID; its Regions are that geography's; each entry
    names the AWS page it comes from."""
    if model.invocation == "INFERENCE_PROFILE":
        assert model.profile_in("us-east-1") is not None
    geographies = {"us": ("us-", "ca-"), "eu": ("eu-",), "apac": ("ap-",)}
    assert len({profile.geography for profile in model.profiles}) == len(model.profiles)
    for profile in model.profiles:
        assert profile.id == f"{profile.geography}.{model.bedrock_model_id}"
        assert "inference-profiles-support" in profile.source
        assert set(profile.source_regions) <= set(profile.destination_regions)
        assert all(region.startswith(geographies[profile.geography]) for region in profile.destination_regions)


def test_a_profile_only_model_is_called_by_its_regions_profile():
    sonnet = HOSTED_MODELS["claude-sonnet-4"]
    assert sonnet.invocation_id("us-west-2") == "us.anthropic.claude-sonnet-4-20250514-v1:0"
    assert sonnet.invocation_id("eu-central-1") == "eu.anthropic.claude-sonnet-4-20250514-v1:0"
    assert sonnet.invocation_id("ap-northeast-1") == "apac.anthropic.claude-sonnet-4-20250514-v1:0"
    assert HOSTED_MODELS["claude-3-haiku"].invocation_id("eu-central-1") == "anthropic.claude-3-haiku-20240307-v1:0"
    assert HOSTED_MODELS["claude-3.5-haiku"].invocation_problem("eu-west-1", None) == (
        "is invocable only through an inference profile and none has eu-west-1 as a source Region")
    assert HOSTED_MODELS["claude-3.7-sonnet"].invocation_problem("eu-central-1", ["eu-central-1"]) == (
        "is invocable only through inference profile eu.anthropic.claude-3-7-sonnet-20250219-v1:0, which also "
        "routes to eu-north-1, eu-west-1, eu-west-3, outside residency.allowed_regions")


def test_every_bedrock_embedding_of_retrieval_is_a_hosted_model():
    """The gateway's Bedrock grants come from this catalog: a retrieval model missing here would be denied."""
    bedrock = {name: model.bedrock_model_id for name, model in EMBEDDING_MODELS.items() if model.hosting == "bedrock"}
    assert bedrock and {name: HOSTED_MODELS[name].bedrock_model_id for name in bedrock if name in HOSTED_MODELS} \
        == bedrock


LITELLM_PYTHON = Path(__file__).resolve().parents[2] / ".venv-litellm" / "bin" / "python"
COST_MAP_KEY = {"openai": "{id}", "anthropic": "{id}", "azure": "azure/{id}", "vertex": "{id}"}
"""How LiteLLM 1.81.16's cost map (litellm.model_cost) names each provider's model."""


@pytest.mark.skipif(not LITELLM_PYTHON.exists(), reason="LiteLLM venv missing: make litellm-venv")
def test_provider_prices_are_the_pinned_litellm_cost_map() -> None:
    """Every provider model's list price per 1M tokens equals what the pinned LiteLLM bills it at (its cost map,
    itself taken from the providers' pricing pages), and each entry names its pricing page and date."""
    keys = {f"{provider}/{name}": COST_MAP_KEY[provider].format(id=model.model_id)
            for provider, models in PROVIDER_MODELS.items() for name, model in models.items()}
    script = ("import json, sys, litellm\nkeys = json.load(sys.stdin)\nprint(json.dumps({k: [litellm.model_cost[v]"
              "['input_cost_per_token'] * 1e6, litellm.model_cost[v]['output_cost_per_token'] * 1e6] "
              "for k, v in keys.items()}))")
    result = subprocess.run([str(LITELLM_PYTHON), "-c", script], input=json.dumps(keys), capture_output=True,
                            text=True, timeout=120, check=True,
                            env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    upstream = json.loads(result.stdout.strip().splitlines()[-1])
    for provider, models in PROVIDER_MODELS.items():
        for name, model in models.items():
            assert [model.usd_per_1m_input, model.usd_per_1m_output] == pytest.approx(upstream[f"{provider}/{name}"])
            assert PROVIDER_FACTS[provider].pricing_page in model.source and "1.81.16" in model.source


def test_priced_model_finds_bedrock_and_provider_entries() -> None:
    assert priced_model("bedrock", "claude-sonnet-4") is HOSTED_MODELS["claude-sonnet-4"]
    assert priced_model("anthropic", "claude-sonnet-4").usd_for(1_000_000, 1_000_000) == pytest.approx(18.0)
    with pytest.raises(BlueprintError, match=r"^vertex model: unknown name \(got 'gpt-4.1'"):
        provider_model("vertex", "gpt-4.1")
