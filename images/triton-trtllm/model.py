"""Triton python model: the OpenAI frontend's TensorRT-LLM request format on the TensorRT-LLM LLM-API backend.

Runs inside Triton's python backend as `<repository>/<model>/1/model.py`, beside the backend's own model (renamed
`llmapi_model.py`) and `helpers.py` (TensorRT-LLM triton_backend/all_models/llmapi/tensorrt_llm/1 at TRTLLM_REF).
Only the request conversion and the response differ from the backend's model:

- inputs are the ones Triton's OpenAI frontend sends (triton-inference-server/server r26.09
  python/openai/openai_frontend/engine/utils/triton.py, _create_trtllm_generate_request), a batch of one;
- a streamed chunk carries the new text and token count only (`text_diff`): the frontend appends chunks and adds
  their `num_output_tokens`, whereas the backend's model sends the whole text so far.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import triton_python_backend_utils as pb_utils  # type: ignore[import-not-found]
from helpers import get_input_scalar_by_name, get_input_tensor_by_name  # type: ignore[import-not-found]
from llmapi_model import TritonPythonModel as LlmApiModel  # type: ignore[import-not-found]

SAMPLING = {
    "max_tokens": "max_tokens", "temperature": "temperature", "top_p": "top_p",
    "frequency_penalty": "frequency_penalty", "presence_penalty": "presence_penalty", "seed": "seed",
    "exclude_input_in_output": "exclude_input_from_output",
}
"""Frontend input -> tensorrt_llm.SamplingParams argument (the backend's helpers.get_sampling_params_from_request)."""


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes | np.bytes_) else str(value)


def convert_request(request: Any) -> tuple[str, dict[str, Any], bool, dict[str, Any]]:
    """(prompt, sampling parameters, streaming, output config) of one frontend request."""
    text = get_input_tensor_by_name(request, "text_input")
    if text is None or text.size != 1:
        raise pb_utils.TritonModelException("text_input must hold exactly one prompt")
    sampling = {argument: value for name, argument in SAMPLING.items()
                if (value := get_input_scalar_by_name(request, name)) is not None}
    stop = get_input_tensor_by_name(request, "stop_words")
    if stop is not None and stop.size:
        sampling["stop"] = [_text(word) for word in stop.reshape(-1)]
    streaming = bool(get_input_scalar_by_name(request, "stream") or False)
    return _text(text.reshape(-1)[0]), sampling, streaming, {"streaming": streaming}


def response_tensors(request_output: Any, streaming: bool, output_dtype: Any) -> list[tuple[str, np.ndarray]]:
    """text_output and token counts, [1, 1] each (batch of one): the chunk's own text when streaming."""
    output = request_output.outputs[0]
    text = output.text_diff if streaming else output.text
    generated = len(output.token_ids_diff if streaming else output.token_ids)
    return [("text_output", np.asarray([[text.encode("utf-8")]], dtype=output_dtype)),
            ("num_input_tokens", np.asarray([[len(request_output.prompt_token_ids)]], dtype=np.int32)),
            ("num_output_tokens", np.asarray([[generated]], dtype=np.int32))]


class TritonPythonModel(LlmApiModel):
    def _convert_request(self, request: Any) -> tuple[str, dict[str, Any], bool, dict[str, Any]]:
        return convert_request(request)

    def _create_response(self, request_output: Any, output_config: dict[str, Any]) -> Any:
        tensors = response_tensors(request_output, output_config["streaming"], self.output_dtype)
        return pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor(name, value) for name, value in tensors])
