"""The Triton model repository of one model for the TensorRT-LLM LLM-API (python) backend (pure).

Layout the entrypoint assembles from these files and the backend's `model.py`/`helpers.py` baked into the image:

    <repository>/<model name>/config.pbtxt
    <repository>/<model name>/1/model.yaml      LLM-API engine args + `triton_config`

The tensor interface mirrors the backend's own config.pbtxt (TensorRT-LLM triton_backend/all_models/llmapi);
batching and the decoupled (streaming) policy are set from model.yaml's `triton_config`, as the backend asks.
"""

from __future__ import annotations

from typing import Any

import yaml

from blueprints.spec import ModelSpec

CONFIG_FILE = "config.pbtxt"
MODEL_YAML = "model.yaml"

# (name, data type, dims, optional)
INPUTS: tuple[tuple[str, str, int, bool], ...] = (
    ("text_input", "TYPE_STRING", -1, False),
    ("streaming", "TYPE_BOOL", 1, True),
    ("sampling_param_temperature", "TYPE_FP32", 1, True),
    ("sampling_param_top_k", "TYPE_INT32", 1, True),
    ("sampling_param_top_p", "TYPE_FP32", 1, True),
    ("sampling_param_frequency_penalty", "TYPE_FP32", 1, True),
    ("sampling_param_presence_penalty", "TYPE_FP32", 1, True),
    ("sampling_param_max_tokens", "TYPE_INT32", 1, True),
    ("sampling_param_stop", "TYPE_STRING", -1, True),
    ("sampling_param_seed", "TYPE_UINT64", 1, True),
    ("sampling_param_exclude_input_from_output", "TYPE_BOOL", 1, True),
    ("sampling_param_return_perf_metrics", "TYPE_BOOL", 1, True),
    ("return_finish_reason", "TYPE_BOOL", 1, True),
    ("return_stop_reason", "TYPE_BOOL", 1, True),
    ("return_cumulative_logprob", "TYPE_BOOL", 1, True),
    ("stop", "TYPE_BOOL", 1, True),
)
OUTPUTS: tuple[tuple[str, str, int], ...] = (
    ("text_output", "TYPE_STRING", -1),
    ("finish_reason", "TYPE_STRING", -1),
    ("stop_reason", "TYPE_STRING", -1),
    ("cumulative_logprob", "TYPE_FP32", -1),
    ("kv_cache_reused_block", "TYPE_INT32", -1),
    ("kv_cache_missed_block", "TYPE_INT32", -1),
    ("kv_cache_alloc_new_blocks", "TYPE_INT32", -1),
    ("kv_cache_alloc_total_blocks", "TYPE_INT32", -1),
    ("kv_cache_hit_rate", "TYPE_FP32", -1),
    ("arrival_time_ns", "TYPE_INT64", 1),
    ("first_scheduled_time_ns", "TYPE_INT64", 1),
    ("first_token_time_ns", "TYPE_INT64", 1),
    ("last_token_time_ns", "TYPE_INT64", 1),
    ("acceptance_rate", "TYPE_FP32", 1),
    ("total_accepted_draft_tokens", "TYPE_INT32", 1),
    ("total_draft_tokens", "TYPE_INT32", 1),
)


def config_pbtxt(model: ModelSpec) -> str:
    """Triton's model configuration (protobuf text format of inference.ModelConfig)."""
    lines = [f'name: "{model.name}"', 'backend: "python"', "",
             # One python instance drives the whole TP group through MPI; it is not a GPU instance itself.
             "instance_group [", "  {", "    count: 1", "    kind: KIND_CPU", "  }", "]", "", "input ["]
    lines += _tensors([_tensor(name, dtype, dims) + ("\n    optional: true" if optional else "")
                       for name, dtype, dims, optional in INPUTS])
    lines += ["]", "", "output ["]
    lines += _tensors([_tensor(name, dtype, dims) for name, dtype, dims in OUTPUTS])
    lines += ["]"]
    return "\n".join(lines) + "\n"


def model_yaml(model: ModelSpec, options: dict[str, Any], checkpoint_dir: str) -> str:
    """The backend's engine arguments: the LLM-API options plus the checkpoint path and `triton_config`."""
    document = {
        "model": checkpoint_dir,
        "backend": "pytorch",
        **options,
        # The backend does not batch across Triton requests (the engine batches in flight); streaming needs the
        # decoupled transaction policy.
        "triton_config": {"max_batch_size": 0, "decoupled": True},
    }
    return yaml.safe_dump(document, sort_keys=False)


def model_files(model: ModelSpec, options: dict[str, Any], checkpoint_dir: str) -> dict[str, str]:
    """ConfigMap data: file name -> content."""
    return {CONFIG_FILE: config_pbtxt(model), MODEL_YAML: model_yaml(model, options, checkpoint_dir)}


def _tensor(name: str, dtype: str, dims: int) -> str:
    return f'    name: "{name}"\n    data_type: {dtype}\n    dims: [ {dims} ]'


def _tensors(bodies: list[str]) -> list[str]:
    return [",\n".join("  {\n" + body + "\n  }" for body in bodies)]
