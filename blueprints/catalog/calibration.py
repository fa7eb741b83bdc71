"""The capacity planner's few global efficiency constants, and where each came from.

They turn datasheet peaks into what TensorRT-LLM achieves. They are global (one value for every model, GPU,
precision and sequence shape), never fitted per row; `sizing.py` holds the physics they scale.
"""

from __future__ import annotations

from pydantic import BaseModel


class Calibration(BaseModel, frozen=True):
    gemm_efficiency: float
    """Achieved / peak dense tensor FLOPs of the linear layers at serving batch sizes (MFU)."""
    bandwidth_efficiency: float
    """Achieved / peak device-memory bandwidth when streaming weights and the KV cache (MBU)."""
    attention_efficiency: float
    """Achieved / peak 16-bit tensor FLOPs of the fused (flash) attention kernels in prefill."""
    step_overhead_ms: float
    """Fixed time per engine iteration: scheduling, sampling, launch gaps not hidden by CUDA graphs."""
    layer_overhead_us: float
    """Fixed time per transformer layer per iteration: the small kernels (norms, RoPE, activation quantization)
    and the launch/tail gaps between a layer's kernels."""
    request_overhead_us: float
    """Host time per request in flight per iteration (scheduling, sampling and bookkeeping in the runtime)."""
    roofline_sharpness: float
    """Exponent p of the smooth roofline (memory^p + compute^p)^(1/p): large p is the hard max()."""
    reserved_gib: float
    """Per-GPU memory held back from the KV cache: CUDA context, activations, CUDA-graph and decoder buffers."""
    kv_cache_fraction: float
    """Fraction of the remaining free GPU memory given to the KV cache (trtllm-bench runs use 0.90-0.95)."""
    allreduce_latency_us: dict[str, float]
    """Fixed cost of one tensor-parallel all-reduce, per interconnect kind."""
    allreduce_bandwidth_efficiency: float
    """Achieved / peak one-direction link bandwidth of an all-reduce (NCCL bus bandwidth vs. link peak)."""
    source: str


CALIBRATION = Calibration(
    gemm_efficiency=0.539,
    bandwidth_efficiency=0.85,
    attention_efficiency=0.535,
    step_overhead_ms=0.42,
    layer_overhead_us=21.6,
    request_overhead_us=3.07,
    roofline_sharpness=1.88,
    reserved_gib=3.27,
    kv_cache_fraction=0.9,
    allreduce_latency_us={"nvlink": 8.0, "pcie": 30.0},
    allreduce_bandwidth_efficiency=0.7,
    source="placeholder",
)
