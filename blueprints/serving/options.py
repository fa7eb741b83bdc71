"""TensorRT-LLM LLM-API options per model and GPU family: the `--extra_llm_api_options` file of trtllm-serve
(and the engine arguments of Triton's LLM-API backend).

Keys are `TorchLlmArgs` fields of the pinned TensorRT-LLM release (pydantic models that forbid unknown keys):
`tensor_parallel_size`, `max_batch_size`, `max_num_tokens`, `max_seq_len`, `enable_chunked_prefill`,
`kv_cache_config` (`free_gpu_memory_fraction`, `enable_block_reuse`, `dtype`), `cuda_graph_config`
(`batch_sizes`, `enable_padding`), `return_perf_metrics` and `enable_iter_perf_stats` (both needed for the
`trtllm_*` gauges on `/prometheus/metrics` that autoscaling reads).

The batch, token, sequence and KV-cache limits come from the planner's `server_limits`, the same values its SLO
search stays under: a plan is always servable by the options its model is deployed with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from blueprints.catalog.gpus import GPUS, Gpu
from blueprints.catalog.models import MODELS, ModelArch, weight_bytes
from blueprints.errors import BlueprintError
from blueprints.sizing import ServerLimits, server_limits
from blueprints.spec import ModelSpec, PlatformSpec

KV_CACHE_DTYPE = {"bf16": "auto", "fp8": "fp8", "nvfp4": "fp8", "int4_awq": "auto"}
"""ModelOpt FP8/NVFP4 checkpoints carry FP8 KV-cache scales; BF16 and AWQ keep the activation dtype."""


@dataclass(frozen=True)
class ServingShape:
    """The memory arithmetic behind one model's options on one GPU family."""

    arch: ModelArch
    gpu: Gpu
    weights_bytes: float
    limits: ServerLimits


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
    isl, osl = model.traffic.input_tokens, model.traffic.output_tokens
    limits = server_limits(arch, gpu, model.tp, model.precision, isl, osl)
    if limits.kv_cache_tokens < limits.max_seq_len:
        fitting = [tp for tp in (1, 2, 4, 8)
                   if server_limits(arch, gpu, tp, model.precision, isl, osl).kv_cache_tokens >= limits.max_seq_len]
        allowed = f"tp >= {fitting[0]}" if fitting else f"a GPU with more memory than {gpu.name}"
        raise BlueprintError(
            f"{where}.tp: {arch.name} at {model.precision} ({weights / 1e9:.1f} GB of weights) leaves no room for "
            f"one {limits.max_seq_len}-token sequence on {model.tp} x {gpu.name} ({gpu.memory_gib:.0f} GiB each) "
            f"(got tp {model.tp}; allowed: {allowed})"
        )
    return ServingShape(arch, gpu, weights, limits)


def llm_api_options(spec: PlatformSpec, model: ModelSpec) -> dict[str, Any]:
    """The LLM-API options file of one self-hosted model (pure: spec in, dict out)."""
    limits = serving_shape(spec, model).limits
    return {
        "tensor_parallel_size": model.tp,
        "max_batch_size": limits.max_batch_size,
        "max_num_tokens": limits.max_num_tokens,
        "max_seq_len": limits.max_seq_len,
        "enable_chunked_prefill": True,
        "kv_cache_config": {
            "free_gpu_memory_fraction": limits.kv_cache_fraction,
            "enable_block_reuse": model.prefix_caching,
            "dtype": KV_CACHE_DTYPE[model.precision],
        },
        "cuda_graph_config": {"batch_sizes": cuda_graph_batch_sizes(limits.max_batch_size), "enable_padding": True},
        "return_perf_metrics": True,
        "enable_iter_perf_stats": True,
    }


def cuda_graph_batch_sizes(max_batch_size: int) -> list[int]:
    """Powers of two up to the batch limit: decode steps of any batch size pad to the next captured graph."""
    return [2**exponent for exponent in range(int(math.log2(max_batch_size)) + 1)]
