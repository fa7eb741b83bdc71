import pytest

from blueprints.catalog.models import MODELS, kv_bytes_per_token, model_named, weight_bytes
from blueprints.errors import BlueprintError

GIB = 1024**3


def test_required_models_are_known():
    assert {"llama-3.1-8b", "llama-3.3-70b", "llama-3.1-405b"} <= set(MODELS)


@pytest.mark.parametrize("model", MODELS.values(), ids=list(MODELS))
def test_architecture_accounts_for_the_published_parameter_count(model):
    assert model.source.startswith("https://huggingface.co/")
    assert model.heads * model.head_dim == model.hidden_size
    assert model.heads % model.kv_heads == 0
    # Outside the blocks' matmuls sit the embeddings and LM head (untied here) and small biases/norms.
    embeddings = 2 * model.vocab_size * model.hidden_size
    assert model.other_params == pytest.approx(embeddings, rel=0.1)


def test_weight_bytes_shrink_with_precision_but_keep_16_bit_embeddings():
    model = MODELS["llama-3.1-8b"]
    bf16, fp8, fp4, awq = (weight_bytes(model, p) for p in ("bf16", "fp8", "nvfp4", "int4_awq"))
    assert bf16 == pytest.approx(2 * 8.03e9)
    # NVFP4 keeps an FP8 scale per 16 weights, AWQ an FP16 scale per 128: AWQ is the smaller.
    assert bf16 > fp8 > fp4 > awq > model.other_params * 2
    assert fp8 == pytest.approx(model.linear_params + 2 * model.other_params)
    assert weight_bytes(MODELS["llama-3.1-405b"], "fp8") / GIB == pytest.approx(382, rel=0.01)


def test_kv_bytes_per_token_follow_gqa_layout():
    # 2 (K, V) x 32 layers x 8 KV heads x 128 dims x 2 bytes = 128 KiB; FP8 checkpoints cache in FP8.
    assert kv_bytes_per_token(MODELS["llama-3.1-8b"], "bf16") == 128 * 1024
    assert kv_bytes_per_token(MODELS["llama-3.1-8b"], "fp8") == 64 * 1024
    assert kv_bytes_per_token(MODELS["llama-3.3-70b"], "fp8") == 160 * 1024


def test_unknown_model_is_refused():
    with pytest.raises(BlueprintError, match=r"model: unknown name \(got 'gpt-5'; allowed: llama-3.1-8b"):
        model_named("gpt-5")
