"""The planner's H200 physics against what tests/catalog/measure_decode.py measured on an H200 (2026-12-04).

Only where the two are comparable: the measured decode steps are a plain-PyTorch Llama decoder (unfused norms, RoPE
and activations, cuBLASLt matmuls, SDPA over a bf16 cache), not TensorRT-LLM. Its memory traffic and matmul work are
the same physics the planner counts, so the *differences* between measured steps (more requests, longer contexts)
are compared; the fixed part of a step (PyTorch's ~40 small kernels per layer against TensorRT-LLM's few fused
ones) is not what the planner models and is only bounded. The fp8 steps are not compared: they ran with a bf16 cache
and a separate activation-quantisation kernel per matmul.
"""

import json
from pathlib import Path

import pytest

from blueprints.catalog.calibration import CALIBRATION
from blueprints.catalog.gpus import GPUS
from blueprints.catalog.models import MODELS
from blueprints.sizing import Engine

MEASURED = json.loads((Path(__file__).parent / "measured" / "h200-decode-2026-12-04.json").read_text())
H200 = GPUS["H200"]


def _engine(model: str, precision: str) -> Engine:
    return Engine(model=MODELS[model], gpu=H200, tp=1, precision=precision, gpu_memory_gib=H200.memory_gib)


def _planned_ms(engine: Engine, case: str) -> float:
    """The planner's step without its per-request host time (the runtime's scheduling, sampling and bookkeeping):
    a replayed CUDA graph of a fixed batch does none of it."""
    batch, context = (int(part) for part in case.split("x"))
    return engine.step(batch, 0, context, 0).total * 1e3 - CALIBRATION.request_overhead_us * batch / 1e3


def _measured_ms(key: str, case: str) -> float:
    return MEASURED["decode_step_ms"][key][case]["graphed_ms"]


def test_the_measurement_is_an_h200_run_with_its_provenance():
    assert MEASURED["device"] == "NVIDIA H200"
    assert MEASURED["date"].startswith("2026-12-04")
    assert MEASURED["software"].startswith("PyTorch 2.11")
    assert MEASURED["script"] == "tests/catalog/measure_decode.py"
    assert (Path(__file__).parents[2] / MEASURED["script"]).is_file()


def test_streaming_bandwidth_is_the_measured_one():
    planned = H200.hbm_bandwidth_gb_s * CALIBRATION.bandwidth_efficiency * H200.kernel_efficiency
    assert planned == pytest.approx(MEASURED["copy_gb_s"], rel=0.03)
    # Weight streaming by the matmuls: the 70B layer's extra bytes over the 8B layer's, at one token (bf16), over
    # the extra time (the per-kernel fixed cost cancels).
    gemm = MEASURED["layer_gemm_us"]
    extra_bytes = 2 * (MODELS["llama-3.3-70b"].linear_params / 80 - MODELS["llama-3.1-8b"].linear_params / 32)
    extra_us = gemm["llama-3.3-70b/bf16"]["1"] - gemm["llama-3.1-8b/bf16"]["1"]
    assert planned == pytest.approx(extra_bytes / extra_us / 1e3, rel=0.08)
    # Decode attention reads each request's K and V at that bandwidth too (256 requests x 2048 tokens, one layer).
    kv_bytes = 256 * 2048 * 8 * 128 * 2 * 2
    assert planned == pytest.approx(kv_bytes / MEASURED["decode_attention_us"]["256x2048"] / 1e3, rel=0.06)


@pytest.mark.parametrize(("precision", "rate_low", "rate_high"), [("bf16", 0.75, 1.0), ("fp8", 0.75, 1.0)])
def test_large_batch_matmul_rate_is_below_the_bare_gemm_rate(precision, rate_low, rate_high):
    # TensorRT-LLM's mixed batches run the linear layers at gemm_efficiency (fitted, 0.8) of the best bare-GEMM rate;
    # a bare 70B layer at 2048 tokens reaches about the ceiling: the planner stays between 0.75 and 1 of it.
    model = MODELS["llama-3.3-70b"]
    measured_tflops = (
        2
        * model.linear_params
        / 80
        * 2048
        / (MEASURED["layer_gemm_us"][f"llama-3.3-70b/{precision}"]["2048"] / 1e6)
        / 1e12
    )
    planned_tflops = H200.tflops(precision) * CALIBRATION.gemm_ceiling[precision] * CALIBRATION.gemm_efficiency
    assert rate_low <= planned_tflops / measured_tflops <= rate_high


@pytest.mark.parametrize(
    ("more", "base"), [("128x2048", "64x2048"), ("256x2048", "64x2048"), ("64x8192", "64x512"), ("256x512", "64x512")]
)
def test_decode_step_grows_with_requests_and_context_as_measured(more, base):
    # 8B bf16, one H200, CUDA-graphed steps: what more requests or longer contexts add (KV reads, matmul work)
    # within 12 %.
    engine = _engine("llama-3.1-8b", "bf16")
    measured = _measured_ms("llama-3.1-8b/bf16", more) - _measured_ms("llama-3.1-8b/bf16", base)
    planned = _planned_ms(engine, more) - _planned_ms(engine, base)
    assert planned == pytest.approx(measured, rel=0.12)


def test_the_fixed_part_of_a_pytorch_step_is_its_unfused_kernels():
    # One request: the measured step exceeds the planner's TensorRT-LLM step by PyTorch's per-layer small kernels,
    # 60-150 us a layer (TensorRT-LLM fuses them; the planner pays a measured kernel boundary per kernel it keeps).
    engine = _engine("llama-3.1-8b", "bf16")
    gap_us = (_measured_ms("llama-3.1-8b/bf16", "1x2048") - _planned_ms(engine, "1x2048")) * 1e3
    assert 60 <= gap_us / MODELS["llama-3.1-8b"].layers <= 150
