import re

import pytest

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
