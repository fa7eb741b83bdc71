import re

import pytest

from blueprints.catalog.embeddings import EMBEDDING_MODELS
from blueprints.catalog.hosted import HOSTED_MODELS, hosted_named
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
