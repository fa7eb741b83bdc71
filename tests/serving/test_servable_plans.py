"""Every preset's plan runs as configured: what the planner assumes a replica does fits the LLM-API options it gets.

What each option bounds, in the pinned TensorRT-LLM's PyTorch executor (docs/source/torch/scheduler.md and
tensorrt_llm/_torch/pyexecutor/_util.py `create_py_executor_instance`, NVIDIA/TensorRT-LLM): the micro-batch
scheduler (`BindMicroBatchScheduler(max_batch_size, max_num_tokens, ctx_chunk_config)`) schedules at most
`max_batch_size` requests and `max_num_tokens` tokens (generation tokens plus context chunks) per iteration; the
capacity scheduler admits a request only with KV-cache blocks for it, the cache being `free_gpu_memory_fraction` of
the memory free after the weights; no request may be longer than `max_seq_len`.
"""

from __future__ import annotations

import pytest

from blueprints.capacity import size_model
from blueprints.catalog.gpus import GPUS
from blueprints.catalog.instances import INSTANCES
from blueprints.catalog.models import MODELS
from blueprints.presets import ENVIRONMENTS, load_spec, preset_names
from blueprints.serving.options import llm_api_options
from blueprints.sizing import Engine

SELF_HOSTED = [(preset, env, model.name) for preset in preset_names() for env in ENVIRONMENTS
               for model in load_spec(preset, env).self_hosted_models]


@pytest.mark.parametrize(("preset", "env", "name"), SELF_HOSTED)
def test_the_plan_of_every_self_hosted_model_is_servable_as_configured(preset, env, name):
    spec = load_spec(preset, env)
    model = next(m for m in spec.self_hosted_models if m.name == name)
    plan = size_model(spec, model)
    options = llm_api_options(spec, model)
    batch = plan.concurrency_per_replica
    assert batch <= options["max_batch_size"], "the plan counts on more requests in flight than the server runs"
    assert batch + plan.prefill_chunk_tokens <= options["max_num_tokens"]
    assert plan.input_tokens + plan.output_tokens <= options["max_seq_len"]
    # The KV cache of the planned instance, at the fraction the server is given, holds every planned request.
    instance = INSTANCES[plan.instance_type]
    engine = Engine(model=MODELS[model.model], gpu=GPUS[instance.gpu], tp=model.tp, precision=model.precision,
                    gpu_memory_gib=instance.gpu_memory_gib,
                    kv_cache_fraction=options["kv_cache_config"]["free_gpu_memory_fraction"])
    assert engine.requests_in_cache(plan.input_tokens + plan.output_tokens) >= batch
