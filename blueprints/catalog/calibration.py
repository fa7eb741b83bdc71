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
    """Fixed time per transformer layer per iteration: the small kernels (norms, RoPE, activation
    quantization) and the launch/tail gaps between a layer's kernels."""
    request_overhead_us: float
    """Host time per request in flight per iteration (scheduling, sampling and bookkeeping in the runtime)."""
    roofline_sharpness: float
    """Exponent p of the smooth roofline (memory^p + compute^p)^(1/p): large p is the hard max()."""
    reserved_gib: float
    """Per-GPU memory kept from the KV cache: CUDA context, activations, CUDA-graph and decoder buffers."""
    kv_cache_fraction: float
    """Fraction of the remaining free GPU memory given to the KV cache (trtllm-bench runs use 0.90-0.95)."""
    allreduce_step_latency_us: dict[str, float]
    """Latency of one step of a ring all-reduce (one hop between GPUs), per interconnect kind."""
    allreduce_bandwidth_efficiency: float
    """Achieved / peak one-direction link bandwidth of an all-reduce (NCCL bus bandwidth vs. link peak)."""
    source: str


class Measurement(BaseModel, frozen=True):
    """Ceilings measured on a real GPU with tests/catalog/measure_hardware.py."""

    device: str
    date: str
    software: str
    copy_gb_s: float
    """Device-to-device copy, bytes read + written per second, 10^9."""
    bf16_tflops: dict[int, float]
    """bf16 matrix product M x 8192 x 8192, by M (tokens)."""
    fp8_tflops: dict[int, float]
    """fp8 (e4m3) scaled matrix product M x 8192 x 8192, by M (tokens)."""


H100_MEASUREMENT = Measurement(
    device="NVIDIA H100 80GB HBM3 (SXM), 81559 MiB usable, SM clock 1980 MHz",
    date="2026-11-24",
    software="PyTorch 2.11.0+cu130, median of 20 CUDA-event-timed runs after 3 warm-ups, random data",
    copy_gb_s=2980.2,
    bf16_tflops={64: 117.8, 256: 435.8, 1024: 694.1, 4096: 777.4, 16384: 785.3},
    fp8_tflops={64: 143.9, 256: 545.6, 1024: 1025.3, 4096: 1332.7, 16384: 1424.6},
)
"""The large-M rates reach 0.79 (bf16) and 0.72 (fp8) of the datasheet peaks, and M = 256 only 0.28-0.44:
near the ridge point neither ceiling is reached, which is what the smooth roofline models."""

CALIBRATION = Calibration(
    gemm_efficiency=0.54,
    bandwidth_efficiency=round(H100_MEASUREMENT.copy_gb_s / 3350, 2),
    attention_efficiency=0.45,
    step_overhead_ms=0.42,
    layer_overhead_us=22.3,
    request_overhead_us=3.3,
    roofline_sharpness=1.85,
    reserved_gib=3.5,
    kv_cache_fraction=0.9,
    allreduce_step_latency_us={"nvlink": 2.0, "pcie": 6.0},
    allreduce_bandwidth_efficiency=0.7,
    source=(
        "bandwidth_efficiency: measured (H100_MEASUREMENT copy bandwidth / 3,350 GB/s datasheet). "
        "reserved_gib: CUDA context (~0.5 GiB) + activation, CUDA-graph and sampler buffers, with the usable "
        "memory nvidia-smi shows (81559 of 81920 MiB on H100). kv_cache_fraction: trtllm-bench's default "
        "kv_cache_free_gpu_mem_fraction. All-reduce: ring cost model; NVLink hop ~2 us and NCCL bus bandwidth "
        "~0.7 of one link direction, PCIe hop ~6 us (NCCL tests' usual figures; no TP rows were fitted). "
        "The rest fitted once, 2026-11-24, to all 30 rows of NVIDIA's perf-overview in "
        "tests/catalog/anchors/trtllm-throughput.csv (Llama-3.1-8B and Llama-3.3-70B, FP8, H100/H200, TP1) at "
        "the same time, minimising median + mean/2 + max/2 of |log(predicted/published)|: median error 2.3%, "
        "max 8.9%; other rows of that table (TP2-8, 405B, B200 NVFP4), never fitted: median 7.3%, max 25%"
    ),
)
