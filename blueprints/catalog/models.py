"""Open-weight model architectures, as published in each model's Hugging Face `config.json`.

Only dense decoder-only transformers with grouped-query attention: the capacity planner's physics assumes
every parameter is read for every decoded token.
"""

from __future__ import annotations

from pydantic import BaseModel

from blueprints.catalog.gpus import Precision
from blueprints.catalog.lookup import lookup

_BYTES_PER_WEIGHT: dict[Precision, float] = {
    "bf16": 2.0,
    "fp8": 1.0,  # per-tensor scales: negligible
    "nvfp4": 0.5 + 1 / 16,  # one FP8 scale per block of 16 values (NVFP4 format)
    "int4_awq": 0.5 + 2 / 128,  # one FP16 scale per group of 128 (AWQ default group size)
}
"""Bytes per parameter of the quantized linear layers. Embeddings, norms and the LM head stay 16-bit."""

_KV_BYTES: dict[Precision, float] = {"bf16": 2.0, "fp8": 1.0, "nvfp4": 1.0, "int4_awq": 2.0}
"""Bytes per cached K/V element: FP8/NVFP4 ModelOpt checkpoints also quantize the KV cache to FP8."""


class ModelArch(BaseModel, frozen=True):
    name: str
    params_b: float
    """Total parameters, 10^9."""
    layers: int
    hidden_size: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn_size: int
    vocab_size: int
    max_context: int
    source: str

    @property
    def linear_params(self) -> float:
        """Parameters of the transformer blocks' matmuls (what quantization shrinks and TP splits)."""
        attention = self.hidden_size * self.head_dim * (2 * self.heads + 2 * self.kv_heads)
        mlp = 3 * self.hidden_size * self.ffn_size  # gate, up, down (SwiGLU)
        return float(self.layers * (attention + mlp))

    @property
    def other_params(self) -> float:
        """Embeddings, LM head and norms: everything outside the blocks' matmuls."""
        return self.params_b * 1e9 - self.linear_params


def weight_bytes(model: ModelArch, precision: Precision) -> float:
    """Bytes of a checkpoint at `precision`: quantized block matmuls plus 16-bit embeddings and LM head."""
    return model.linear_params * _BYTES_PER_WEIGHT[precision] + model.other_params * 2.0


def kv_bytes_per_token(model: ModelArch, precision: Precision) -> float:
    """KV-cache bytes of one token over all layers: 2 (K and V) x layers x kv_heads x head_dim x bytes."""
    return 2 * model.layers * model.kv_heads * model.head_dim * _KV_BYTES[precision]


def _hf(repo: str) -> str:
    return f"https://huggingface.co/{repo}/blob/main/config.json (parameter count from the model card)"


MODELS: dict[str, ModelArch] = {
    model.name: model
    for model in (
        ModelArch(
            name="llama-3.1-8b",
            params_b=8.03,
            layers=32,
            hidden_size=4096,
            heads=32,
            kv_heads=8,
            head_dim=128,
            ffn_size=14336,
            vocab_size=128256,
            max_context=131072,
            source=_hf("meta-llama/Llama-3.1-8B-Instruct"),
        ),
        ModelArch(
            name="llama-3.3-70b",
            params_b=70.55,
            layers=80,
            hidden_size=8192,
            heads=64,
            kv_heads=8,
            head_dim=128,
            ffn_size=28672,
            vocab_size=128256,
            max_context=131072,
            source=_hf("meta-llama/Llama-3.3-70B-Instruct"),
        ),
        ModelArch(
            name="llama-3.1-405b",
            params_b=405.85,
            layers=126,
            hidden_size=16384,
            heads=128,
            kv_heads=8,
            head_dim=128,
            ffn_size=53248,
            vocab_size=128256,
            max_context=131072,
            source=_hf("meta-llama/Llama-3.1-405B-Instruct"),
        ),
        ModelArch(
            name="mistral-7b-v0.3",
            params_b=7.25,
            layers=32,
            hidden_size=4096,
            heads=32,
            kv_heads=8,
            head_dim=128,
            ffn_size=14336,
            vocab_size=32768,
            max_context=32768,
            source=_hf("mistralai/Mistral-7B-Instruct-v0.3"),
        ),
        ModelArch(
            name="qwen2.5-7b",
            params_b=7.62,
            layers=28,
            hidden_size=3584,
            heads=28,
            kv_heads=4,
            head_dim=128,
            ffn_size=18944,
            vocab_size=152064,
            max_context=32768,
            source=_hf("Qwen/Qwen2.5-7B-Instruct"),
        ),
        ModelArch(
            name="qwen2.5-72b",
            params_b=72.71,
            layers=80,
            hidden_size=8192,
            heads=64,
            kv_heads=8,
            head_dim=128,
            ffn_size=29568,
            vocab_size=152064,
            max_context=32768,
            source=_hf("Qwen/Qwen2.5-72B-Instruct"),
        ),
    )
}


def model_named(name: str, what: str = "model") -> ModelArch:
    return lookup(MODELS, name, what)
