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

MODELS = [(preset, env, model.name) for preset in preset_names() for env in ENVIRONMENTS
          for model in load_spec(preset, env).self_hosted_models]


@pytest.mark.parametrize(("preset", "env", "name"), MODELS)
def test_every_config_pbtxt_parses(preset, env, name):
    spec = load_spec(preset, env, {"serving": {"engine": "triton"}})
    model = next(m for m in spec.self_hosted_models if m.name == name)
    objects = model_manifests(spec, model, region=spec.regions[0], bucket="b", image="i", metrics_url="http://p")
    for manifests in objects.per_version.values():
        config_map = next(m for m in manifests if m["kind"] == "ConfigMap")
        assert config_map["metadata"]["annotations"] == {"blueprints.io/artifact-kind": "triton-model-config"}
        config = text_format.Parse(config_map["data"]["config.pbtxt"], model_config_pb2.ModelConfig())
        assert (config.name, config.backend) == (model.name, "python")
        assert [tensor.name for tensor in config.input][:2] == ["text_input", "streaming"]
        assert config.output[0].name == "text_output"
        assert config.instance_group[0].kind == model_config_pb2.ModelInstanceGroup.KIND_CPU
        engine_args = yaml.safe_load(config_map["data"]["model.yaml"])
        assert engine_args.pop("triton_config") == {"max_batch_size": 0, "decoupled": True}
        assert engine_args == {"model": f"/models/{model.name}", "backend": "pytorch",
                               **llm_api_options(spec, model)}


def test_optional_inputs_are_marked():
    spec = load_spec("internal-ai", "dev")
    config = text_format.Parse(triton.config_pbtxt(spec.serving.models[0]), model_config_pb2.ModelConfig())
    assert {tensor.name for tensor in config.input if not tensor.optional} == {"text_input"}
