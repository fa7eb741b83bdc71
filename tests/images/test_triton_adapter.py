"""The Triton adapter model (images/triton-trtllm/model.py) reads exactly the tensors the generated config.pbtxt
declares, converts a request shaped the way Triton's OpenAI frontend builds it, and answers in the shapes and types
the frontend reads.

Triton's python backend is not installable here: `triton_python_backend_utils`, the backend's `helpers` and its
model are stand-ins with the semantics of the upstream functions the adapter calls (TensorRT-LLM
triton_backend/all_models/llmapi/tensorrt_llm/1/helpers.py: get_input_tensor_by_name returns the numpy tensor or
None, get_input_scalar_by_name the single item of a one-element tensor or None).
"""

from __future__ import annotations

import importlib.util
import sys
import types
from types import SimpleNamespace

import numpy as np
import pytest

from blueprints.serving import triton
from tests.images.entrypoint import IMAGES_DIR


class TritonModelException(Exception):
    pass


def _scalar(request: dict, name: str):
    tensor = request.get(name)
    if tensor is None:
        return None
    if tensor.size != 1:
        raise TritonModelException(f"Expected a scalar tensor for tensor {name}")
    return tensor.item(0)


@pytest.fixture(scope="module")
def adapter():
    stubs = {
        "triton_python_backend_utils": types.SimpleNamespace(TritonModelException=TritonModelException),
        "helpers": types.SimpleNamespace(get_input_tensor_by_name=lambda request, name: request.get(name),
                                         get_input_scalar_by_name=_scalar),
        "llmapi_model": types.SimpleNamespace(TritonPythonModel=object),
    }
    saved = {name: sys.modules.get(name) for name in stubs}
    sys.modules.update({name: types.ModuleType(name) for name in stubs})
    for name, stub in stubs.items():
        sys.modules[name].__dict__.update(vars(stub))
    try:
        spec = importlib.util.spec_from_file_location("triton_adapter", IMAGES_DIR / "triton-trtllm" / "model.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        for name, previous in saved.items():
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous


def frontend_request(prompt: str, *, stream: bool, **extra) -> dict:
    """Tensors as _create_trtllm_generate_request (triton-inference-server/server r26.09
    python/openai/openai_frontend/engine/utils/triton.py) builds them: a batch of one."""
    tensors = {"text_input": np.array([[prompt]], dtype=object), "stream": np.bool_([[stream]]),
               "max_tokens": np.int32([[extra.pop("max_tokens", 16)]]),
               "return_num_input_tokens": np.bool_([[True]]), "return_num_output_tokens": np.bool_([[True]])}
    if "stop" in extra:
        tensors["stop_words"] = np.array([extra.pop("stop")], dtype=object)
    for name, value in extra.items():
        tensors[name] = (np.uint64 if name == "seed" else np.float32)([[value]])
    return tensors


def test_every_tensor_the_adapter_reads_is_declared(adapter):
    declared = {name for name, *_ in triton.INPUTS}
    read = {*adapter.SAMPLING, "text_input", "stop_words", "stream"}
    assert read <= declared
    # The rest are the frontend's usage flags, which the adapter always honours.
    assert declared - read == {"return_num_input_tokens", "return_num_output_tokens"}
    assert {name for name, *_ in triton.OUTPUTS} == {"text_output", "num_input_tokens", "num_output_tokens"}


def test_request_becomes_llm_api_sampling_parameters(adapter):
    request = frontend_request("Hello", stream=True, max_tokens=64, temperature=0.5, top_p=0.9, seed=7,
                               stop=["</s>", "\n\n"])
    request["exclude_input_in_output"] = np.bool_([[True]])
    prompt, sampling, streaming, config = adapter.convert_request(request)
    assert (prompt, streaming, config) == ("Hello", True, {"streaming": True})
    assert sampling == {"max_tokens": 64, "temperature": pytest.approx(0.5), "top_p": pytest.approx(0.9),
                        "seed": 7, "exclude_input_from_output": True, "stop": ["</s>", "\n\n"]}


def test_request_without_a_prompt_is_refused(adapter):
    request = frontend_request("x", stream=False)
    del request["text_input"]
    with pytest.raises(TritonModelException, match="text_input"):
        adapter.convert_request(request)


def test_streamed_chunks_carry_only_new_text_and_tokens(adapter):
    output = SimpleNamespace(text="Hello world", text_diff=" world", token_ids=[1, 2], token_ids_diff=[2])
    request_output = SimpleNamespace(outputs=[output], prompt_token_ids=[5, 6, 7])
    streamed = dict(adapter.response_tensors(request_output, True, np.object_))
    assert streamed["text_output"].tolist() == [[b" world"]]
    assert (streamed["num_input_tokens"].tolist(), streamed["num_output_tokens"].tolist()) == ([[3]], [[1]])
    # The frontend reads the counts as INT32 or UINT32 (_get_usage_from_response).
    assert streamed["num_output_tokens"].dtype == np.int32
    whole = dict(adapter.response_tensors(request_output, False, np.object_))
    assert (whole["text_output"].tolist(), whole["num_output_tokens"].tolist()) == ([[b"Hello world"]], [[2]])
