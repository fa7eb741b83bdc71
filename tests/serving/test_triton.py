"""The Triton model repository files parse with Triton's own model-config proto (tritonclient)."""

from __future__ import annotations

import pytest
import yaml
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2

from blueprints.presets import ENVIRONMENTS, load_spec, preset_names
from blueprints.serving import triton
from blueprints.serving.manifests import model_manifests
from blueprints.serving.options import llm_api_options

# Tensors Triton's OpenAI frontend sends and reads for a non-vLLM model (triton-inference-server/server r26.09
# python/openai/openai_frontend/engine/utils/triton.py: _create_trtllm_generate_request without guided decoding or
# LoRA; triton_engine.py _build_model_metadata's echo tensor; _get_output and _get_usage_from_response).
FRONTEND_INPUTS = {"text_input", "stream", "max_tokens", "stop_words", "top_p", "frequency_penalty",
                   "presence_penalty", "seed", "temperature", "exclude_input_in_output", "return_num_input_tokens",
                   "return_num_output_tokens"}
FRONTEND_OUTPUTS = {"text_output", "num_input_tokens", "num_output_tokens"}

MODELS = [(preset, env, model.name) for preset in preset_names() for env in ENVIRONMENTS
          for model in load_spec(preset, env).self_hosted_models]


@pytest.mark.parametrize(("preset", "env", "name"), MODELS)
def test_every_config_pbtxt_parses(preset, env, name):
    spec = load_spec(preset, env, {"serving": {"engine": "triton"}, "gateway": {"inference_routing": False}})
    model = next(m for m in spec.self_hosted_models if m.name == name)
    objects = model_manifests(spec, model, region=spec.regions[0], bucket="b", image="i", metrics_url="http://p")
    for manifests in objects.per_version.values():
        config_map = next(m for m in manifests if m["kind"] == "ConfigMap")
        assert config_map["metadata"]["annotations"] == {"blueprints.io/artifact-kind": "triton-model-config"}
        config = text_format.Parse(config_map["data"]["config.pbtxt"], model_config_pb2.ModelConfig())
        assert (config.name, config.backend) == (model.name, "python")
        assert {tensor.name for tensor in config.input} == FRONTEND_INPUTS
        assert {tensor.name for tensor in config.output} == FRONTEND_OUTPUTS
        assert config.instance_group[0].kind == model_config_pb2.ModelInstanceGroup.KIND_CPU
        engine_args = yaml.safe_load(config_map["data"]["model.yaml"])
        # The backend's auto_complete_config takes batch size and decoupling from here; the frontend's tensors
        # carry a batch dimension of one.
        assert engine_args.pop("triton_config") == {"max_batch_size": 1, "decoupled": True}
        assert engine_args == {"model": f"/models/{model.name}", "backend": "pytorch",
                               **llm_api_options(spec, model)}


def test_optional_inputs_are_marked():
    spec = load_spec("internal-ai", "dev")
    config = text_format.Parse(triton.config_pbtxt(spec.serving.models[0]), model_config_pb2.ModelConfig())
    assert {tensor.name for tensor in config.input if not tensor.optional} == {"text_input"}
