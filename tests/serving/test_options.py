"""LLM-API options per model and GPU family, and the entrypoint command line they lead to, for every preset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blueprints.errors import BlueprintError
from blueprints.presets import ENVIRONMENTS, load_spec, preset_names
from blueprints.serving.manifests import model_manifests
from blueprints.serving.options import cuda_graph_batch_sizes, llm_api_options, serving_shape
from tests.images.entrypoint import load_entrypoint

serve_model = load_entrypoint()

# TorchLlmArgs fields of the pinned TensorRT-LLM release that the options may use (unknown keys are errors there).
LLM_API_KEYS = {"tensor_parallel_size", "max_batch_size", "max_num_tokens", "max_seq_len", "enable_chunked_prefill",
                "kv_cache_config", "cuda_graph_config", "return_perf_metrics", "enable_iter_perf_stats"}
SELF_HOSTED = [(preset, env, model.name) for preset in preset_names() for env in ENVIRONMENTS
               for model in load_spec(preset, env).self_hosted_models]


def test_presets_have_self_hosted_models():
    assert {preset for preset, _, _ in SELF_HOSTED} == {"enterprise-assistant", "internal-ai", "regulated-industry"}


@pytest.mark.parametrize(("preset", "env", "name"), SELF_HOSTED)
def test_options_and_command_line_of_every_self_hosted_model(preset, env, name, tmp_path):
    spec = load_spec(preset, env)
    model = next(m for m in spec.self_hosted_models if m.name == name)
    options = llm_api_options(spec, model)
    assert set(options) == LLM_API_KEYS
    assert options["tensor_parallel_size"] == model.tp
    assert options["kv_cache_config"] == {"free_gpu_memory_fraction": 0.9, "enable_block_reuse": True,
                                          "dtype": "fp8"}
    assert max(options["cuda_graph_config"]["batch_sizes"]) == options["max_batch_size"]
    assert options["enable_chunked_prefill"] and options["return_perf_metrics"]

    objects = model_manifests(spec, model, region=spec.regions[0], bucket="bucket", image="image:tag",
                              metrics_url="http://prometheus:9090")
    for version, manifests in objects.per_version.items():
        config_map = next(m for m in manifests if m["kind"] == "ConfigMap")
        container = next(m for m in manifests if m["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]
        env_vars = {e["name"]: e.get("value") for e in container["env"]}
        env_vars["LLM_API_OPTIONS"] = config_map["data"]["llm-api-options.json"]
        env_vars["WORK_DIR"] = str(tmp_path)
        settings = serve_model.Settings.from_env(env_vars)
        assert (settings.bucket, settings.prefix) == ("bucket", f"models/{model.name}/{version}/")
        command = serve_model.server_command(settings, tmp_path)
        assert command == ["trtllm-serve", "serve", f"/models/{model.name}", "--host", "0.0.0.0", "--port", "8000",
                           "--backend", "pytorch", "--tp_size", str(model.tp), "--extra_llm_api_options",
                           str(tmp_path / "llm-api-options.yaml")]
        assert json.loads(Path(command[-1]).read_text()) == options


def test_cuda_graph_batch_sizes_are_powers_of_two():
    assert cuda_graph_batch_sizes(64) == [1, 2, 4, 8, 16, 32, 64]


def with_extra_model(model: dict, pool: dict) -> dict:
    """internal-ai overrides adding a third model on a third pool (lists merge by index)."""
    return {"cluster": {"gpu_pools": [{}, {}, pool]}, "serving": {"models": [{}, {}, model]}}


def test_fp8_on_a10g_is_refused():
    overrides = with_extra_model(
        {"name": "tiny", "model": "llama-3.1-8b", "precision": "bf16", "gpu_pool": "a10g", "tp": 1,
         "versions": {"stable": "2026-11-01"}},
        {"name": "a10g", "gpu": "A10G"})
    spec = load_spec("internal-ai", "dev", overrides)
    forced = spec.serving.models[2].model_copy(update={"precision": "fp8"})
    spec.serving.models = [*spec.serving.models[:2], forced]
    with pytest.raises(BlueprintError) as error:
        serving_shape(spec, forced)
    assert str(error.value) == ("serving.models[2].precision: 'fp8' does not run on A10G "
                                "(allowed: bf16, int4_awq)")


def test_model_too_large_for_tp_times_gpu_memory_is_refused():
    overrides = with_extra_model(
        # max_replicas given: the planner (which refuses this too) is not asked.
        {"name": "big", "model": "llama-3.3-70b", "precision": "bf16", "gpu_pool": "l40s-big", "tp": 1,
         "max_replicas": 1, "versions": {"stable": "2026-11-01"}},
        {"name": "l40s-big", "gpu": "L40S"})
    spec = load_spec("internal-ai", "dev", overrides)
    with pytest.raises(BlueprintError) as error:
        llm_api_options(spec, spec.serving.models[2])
    assert str(error.value) == (
        "serving.models[2].tp: llama-3.3-70b at bf16 (141.1 GB of weights) leaves no room for one 8192-token "
        "sequence on 1 x L40S (45 GiB each) (got tp 1; allowed: tp >= 4)")


def test_bedrock_models_have_no_serving_options():
    spec = load_spec("enterprise-assistant", "dev")
    with pytest.raises(BlueprintError, match=r"serving.models\[1\].hosting: 'assistant-fallback' is hosted"):
        llm_api_options(spec, spec.serving.models[1])
