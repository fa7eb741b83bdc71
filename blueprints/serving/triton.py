"""The Triton model repository of one model, served through Triton's OpenAI-compatible frontend (pure).

Layout the entrypoint assembles from these files, the LLM-API (python) backend's `model.py`/`helpers.py` and our
adapter `images/triton-trtllm/model.py`, all baked into the image:

    <repository>/<model name>/config.pbtxt
    <repository>/<model name>/1/model.yaml         LLM-API engine args + `triton_config`
    <repository>/<model name>/1/model.py           the adapter (subclass of the backend's model)
    <repository>/<model name>/1/llmapi_model.py    TensorRT-LLM triton_backend/all_models/llmapi/tensorrt_llm/1/model.py
    <repository>/<model name>/1/helpers.py

The frontend sends every model that is not vLLM its TensorRT-LLM request format, so the tensor interface declared
here is that format, not the LLM-API backend's own (`streaming`, `sampling_param_*`): Triton refuses inputs a model
does not declare. The adapter maps these inputs onto the backend's sampling parameters and returns per-chunk text
and token counts the way the frontend reads them.
"""

from __future__ import annotations

from typing import Any

import yaml

from blueprints.spec import ModelSpec

CONFIG_FILE = "config.pbtxt"
MODEL_YAML = "model.yaml"

# What the frontend sends (triton-inference-server/server r26.09
# python/openai/openai_frontend/engine/utils/triton.py, _create_trtllm_generate_request): a batch of one, so every
# tensor is [1, ...] on top of these dims. (name, data type, dims, optional)
INPUTS: tuple[tuple[str, str, int, bool], ...] = (
    ("text_input", "TYPE_STRING", 1, False),
    ("stream", "TYPE_BOOL", 1, True),
    ("max_tokens", "TYPE_INT32", 1, True),
    ("stop_words", "TYPE_STRING", -1, True),
    ("top_p", "TYPE_FP32", 1, True),
    ("frequency_penalty", "TYPE_FP32", 1, True),
    ("presence_penalty", "TYPE_FP32", 1, True),
    ("seed", "TYPE_UINT64", 1, True),
    ("temperature", "TYPE_FP32", 1, True),
    # Found by name for `echo` (triton_engine.py _build_model_metadata); set to `not echo`.
    ("exclude_input_in_output", "TYPE_BOOL", 1, True),
    ("return_num_input_tokens", "TYPE_BOOL", 1, True),
    ("return_num_output_tokens", "TYPE_BOOL", 1, True),
)
# What the frontend reads (engine/utils/triton.py _get_output, _get_usage_from_response: INT32 or UINT32 counts).
OUTPUTS: tuple[tuple[str, str, int], ...] = (
    ("text_output", "TYPE_STRING", 1),
    ("num_input_tokens", "TYPE_INT32", 1),
    ("num_output_tokens", "TYPE_INT32", 1),
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
        # The engine batches in flight, not Triton: each request is a batch of one (the frontend's [1, ...]
        # tensors need a batch dimension); streaming needs the decoupled transaction policy.
        "triton_config": {"max_batch_size": 1, "decoupled": True},
    }
    return yaml.safe_dump(document, sort_keys=False)


def model_files(model: ModelSpec, options: dict[str, Any], checkpoint_dir: str) -> dict[str, str]:
    """ConfigMap data: file name -> content."""
    return {CONFIG_FILE: config_pbtxt(model), MODEL_YAML: model_yaml(model, options, checkpoint_dir)}


def _tensor(name: str, dtype: str, dims: int) -> str:
    return f'    name: "{name}"\n    data_type: {dtype}\n    dims: [ {dims} ]'


def _tensors(bodies: list[str]) -> list[str]:
    return [",\n".join("  {\n" + body + "\n  }" for body in bodies)]
