"""TensorRT-LLM LLM-API options per model and GPU family: the `--extra_llm_api_options` file of trtllm-serve
(and the engine arguments of Triton's LLM-API backend).

Keys are `TorchLlmArgs` fields of the pinned TensorRT-LLM release (pydantic models that forbid unknown keys):
`tensor_parallel_size`, `max_batch_size`, `max_num_tokens`, `max_seq_len`, `enable_chunked_prefill`,
`kv_cache_config` (`free_gpu_memory_fraction`, `enable_block_reuse`, `dtype`), `cuda_graph_config`
(`batch_sizes`, `enable_padding`), `return_perf_metrics` and `enable_iter_perf_stats` (both needed for the
`trtllm_*` gauges on `/prometheus/metrics` that autoscaling reads).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from blueprints.catalog.gpus import GPUS, Gpu
from blueprints.catalog.models import MODELS, ModelArch, kv_bytes_per_token, weight_bytes
from blueprints.errors import BlueprintError
from blueprints.spec import ModelSpec, PlatformSpec

GIB = 2**30

KV_CACHE_MEMORY_FRACTION = 0.90
"""Share of the memory left after weights that TensorRT-LLM gives the KV cache (its own default is 0.9)."""
ACTIVATION_RESERVE_FRACTION = 0.08
"""GPU memory kept for activations, CUDA graphs and NCCL buffers before the KV cache is sized."""
MAX_BATCH_SIZE_CAP = 256
"""Upper bound on concurrent sequences per replica: past it, decode steps get slow enough to miss TPOT SLOs."""
MIN_BATCH_SIZE = 4
MIN_SEQ_LEN = 8192
SEQ_LEN_HEADROOM = 4
"""max_seq_len = this x the traffic's input+output tokens (rounded up to a power of two): long requests fit."""
SMALL_GPU_GIB = 40
"""GPUs with less memory per device get a smaller prefill chunk (max_num_tokens)."""

KV_CACHE_DTYPE = {"bf16": "auto", "fp8": "fp8", "nvfp4": "fp8", "int4_awq": "auto"}
"""ModelOpt FP8/NVFP4 checkpoints carry FP8 KV-cache scales; BF16 and AWQ keep the activation dtype."""


@dataclass(frozen=True)
class ServingShape:
    """The memory arithmetic behind one model's options on one GPU family."""

    arch: ModelArch
    gpu: Gpu
    weights_bytes: float
    kv_capacity_tokens: int
    max_seq_len: int
    max_batch_size: int
    max_num_tokens: int


def model_index(spec: PlatformSpec, model: ModelSpec) -> int:
    return next(index for index, candidate in enumerate(spec.serving.models) if candidate.name == model.name)


def serving_shape(spec: PlatformSpec, model: ModelSpec) -> ServingShape:
    """Size the KV cache and batch of a self-hosted model; refuse combinations that cannot run."""
    where = f"serving.models[{model_index(spec, model)}]"
    if model.hosting != "self-hosted":
        raise BlueprintError(f"{where}.hosting: {model.name!r} is hosted on Bedrock and has no serving options "
                             "(allowed: self-hosted)")
    gpu = GPUS[spec.pool(model.gpu_pool or "").gpu]
    if model.precision not in gpu.precisions:
        raise BlueprintError(f"{where}.precision: {model.precision!r} does not run on {gpu.name} "
                             f"(allowed: {', '.join(gpu.precisions)})")
    arch = MODELS[model.model]
    weights = weight_bytes(arch, model.precision)
    max_seq_len = min(arch.max_context, max(MIN_SEQ_LEN, _pow2_ceil(
        SEQ_LEN_HEADROOM * (model.traffic.input_tokens + model.traffic.output_tokens))))
    kv_tokens = _kv_capacity_tokens(arch, gpu, model.precision, weights, model.tp)
    if kv_tokens < max_seq_len:
        fitting = [tp for tp in (1, 2, 4, 8)
                   if _kv_capacity_tokens(arch, gpu, model.precision, weights, tp) >= max_seq_len]
        allowed = f"tp >= {fitting[0]}" if fitting else f"a GPU with more memory than {gpu.name}"
        raise BlueprintError(
            f"{where}.tp: {arch.name} at {model.precision} ({weights / 1e9:.1f} GB of weights) leaves no room for "
            f"one {max_seq_len}-token sequence on {model.tp} x {gpu.name} ({gpu.memory_gib:.0f} GiB each) "
            f"(got tp {model.tp}; allowed: {allowed})"
        )
    per_sequence = model.traffic.input_tokens + model.traffic.output_tokens
    batch = min(MAX_BATCH_SIZE_CAP, _pow2_floor(max(MIN_BATCH_SIZE, kv_tokens // per_sequence)))
    max_num_tokens = 4096 if gpu.memory_gib < SMALL_GPU_GIB else 8192
    return ServingShape(arch, gpu, weights, kv_tokens, max_seq_len, batch, max_num_tokens)


def llm_api_options(spec: PlatformSpec, model: ModelSpec) -> dict[str, Any]:
    """The LLM-API options file of one self-hosted model (pure: spec in, dict out)."""
    shape = serving_shape(spec, model)
    return {
        "tensor_parallel_size": model.tp,
        "max_batch_size": shape.max_batch_size,
        "max_num_tokens": shape.max_num_tokens,
        "max_seq_len": shape.max_seq_len,
        "enable_chunked_prefill": True,
        "kv_cache_config": {
            "free_gpu_memory_fraction": KV_CACHE_MEMORY_FRACTION,
            "enable_block_reuse": model.prefix_caching,
            "dtype": KV_CACHE_DTYPE[model.precision],
        },
        "cuda_graph_config": {"batch_sizes": cuda_graph_batch_sizes(shape.max_batch_size), "enable_padding": True},
        "return_perf_metrics": True,
        "enable_iter_perf_stats": True,
    }


def cuda_graph_batch_sizes(max_batch_size: int) -> list[int]:
    """Powers of two up to the batch limit: decode steps of any batch size pad to the next captured graph."""
    return [2**exponent for exponent in range(int(math.log2(max_batch_size)) + 1)]


def _kv_capacity_tokens(arch: ModelArch, gpu: Gpu, precision: str, weights: float, tp: int) -> int:
    memory = gpu.memory_gib * GIB
    free_per_gpu = memory * (1 - ACTIVATION_RESERVE_FRACTION) - weights / tp
    if free_per_gpu <= 0:
        return 0
    # KV heads are split across the TP group, so the group's KV memory adds up.
    return int(free_per_gpu * tp * KV_CACHE_MEMORY_FRACTION / kv_bytes_per_token(arch, precision))  # type: ignore[arg-type]


def _pow2_ceil(value: int) -> int:
    return 1 << max(0, math.ceil(math.log2(value)))


def _pow2_floor(value: int) -> int:
    return 1 << int(math.log2(value))
