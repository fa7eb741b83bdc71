"""The capacity planner's few global efficiency constants, and where each came from.

They turn datasheet peaks into what TensorRT-LLM achieves. They are global (one value for every model, GPU,
precision and sequence shape), never fitted per row; `sizing.py` holds the physics they scale.
"""

from __future__ import annotations

from pydantic import BaseModel


class Calibration(BaseModel, frozen=True):
    gemm_ceiling: dict[str, float]
    """Per precision: the best matrix-product rate measured on Hopper (large M) / the datasheet's dense peak."""
    gemm_efficiency: float
    """Achieved share of that measured ceiling in the linear layers at serving batch sizes."""
    bandwidth_efficiency: float
    """Achieved / peak device-memory bandwidth when streaming weights and the KV cache (MBU)."""
    attention_efficiency: float
    """Achieved / peak 16-bit tensor FLOPs of the fused (flash) attention kernels in prefill."""
    step_overhead_ms: float
    """Fixed time per engine iteration: scheduling, sampling, launch gaps not hidden by CUDA graphs."""
    kernel_boundary_us: float
    """Fixed time one more kernel adds to a CUDA-graphed iteration (launch and drain beside its work); a layer
    pays it once per kernel it launches (`sizing.kernels_per_layer`)."""
    request_overhead_us: float
    """Host time per request in flight per iteration (scheduling, sampling and bookkeeping in the runtime)."""
    roofline_sharpness: float
    """Exponent p of the smooth roofline (memory^p + compute^p)^(1/p): large p is the hard max()."""
    reserved_gib: float
    """Per-GPU memory kept from the KV cache: CUDA context, activations, CUDA-graph and decoder buffers."""
    kv_cache_fraction: float
    """Fraction of the remaining free GPU memory given to the KV cache of a served replica
    (`free_gpu_memory_fraction` in the trtllm-serve options; TensorRT-LLM's default 0.90)."""
    bench_kv_cache_fraction: float
    """The same fraction in NVIDIA's published max-throughput runs, which `max_throughput` models: 0.95
    ("--kv_cache_free_gpu_mem_fraction 0.95 ... We fall back to 0.90 or lower if out-of-memory errors are
    encountered", docs/source/performance/perf-overview.md, v0.20.0 and v1.0)."""
    allreduce_step_latency_us: dict[str, float]
    """Latency of one step of a ring all-reduce (one hop between GPUs), per interconnect kind."""
    allreduce_call_us: float
    """Fixed cost of one all-reduce call beside its hops: the kernel's launch and the GPUs' synchronisation."""
    allreduce_bandwidth_efficiency: float
    """Achieved / peak one-direction link bandwidth of an all-reduce (NCCL bus bandwidth vs. link peak)."""
    release_0_20_speed: float
    """Throughput of TensorRT-LLM v0.20's published runs relative to v1.0's on the same hardware and configuration:
    software alone (kernels, scheduler). The planner predicts v1.0-era software (the pinned image is newer); only
    reading v0.20's published rows (bench/planner_cv.py) applies it. Not fitted: the median ratio over the 66
    configurations both releases published (v1.0 / v0.20 from 0.89 to 1.15, median 1.0246)."""
    source: str


FITTED: dict[str, tuple[float, float]] = {
    "gemm_efficiency": (0.2, 1.0),
    "step_overhead_ms": (0.01, 5.0),
    "request_overhead_us": (0.1, 50.0),
    "roofline_sharpness": (1.0, 4.0),
    "allreduce_call_us": (1.0, 50.0),
}
"""The constants fitted to published throughput rows (bench/planner_cv.py refits them per held-out group), each
kept within its physical range (an efficiency never exceeds 1); every other field is measured or cited."""


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
    prefill_attention_tflops: dict[int, float] = {}
    """Causal bf16 attention of one prompt (32 heads of 128), by prompt length; counts only unmasked pairs."""
    decode_attention_gb_s: dict[str, float] = {}
    """Grouped-query decode attention (8 KV heads of 128, 4 query heads each), K+V bytes read per second, 10^9,
    by "requests x context tokens"."""


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

H200_MEASUREMENT = Measurement(
    device="NVIDIA H200 (SXM), 143771 MiB, SM clock max 1980 MHz, memory clock max 3201 MHz, driver 580.159.04",
    date="2026-12-04",
    software="PyTorch 2.11.0+cu130 (torch SDPA for attention), median of 20 CUDA-event-timed runs after 3 warm-ups",
    copy_gb_s=4246.5,
    bf16_tflops={16: 48.1, 64: 177.5, 128: 348.6, 256: 603.9, 512: 706.4, 1024: 760.3, 2048: 796.2, 4096: 804.6,
                 16384: 741.5},
    fp8_tflops={16: 63.1, 64: 246.5, 128: 469.3, 256: 830.4, 512: 1082.9, 1024: 1232.4, 2048: 1375.0,
                4096: 1428.4, 16384: 1480.0},
    prefill_attention_tflops={1024: 197.4, 4096: 509.1, 16384: 619.6},
    decode_attention_gb_s={"16x4096": 3470.7, "64x2048": 3952.2, "64x8192": 4439.6},
)
"""tests/catalog/measure_hardware.py on the lent H200 machine. Copy 0.885 of the 4.8 TB/s datasheet (H100: 0.89),
decode attention reads its cache at up to 0.92; large-M bf16 0.81 and fp8 0.75 of the dense peaks (989 / 1,979
TFLOPS); causal flash attention of a 4,096-token prompt 0.51 of the bf16 peak (0.63 at 16k, 0.20 at 1k)."""

class KernelMeasurement(BaseModel, frozen=True):
    """Kernel boundaries in a CUDA graph, measured on a real GPU with tests/catalog/measure_kernels.py."""

    device: str
    date: str
    software: str
    empty_kernel_us: float
    """Replay time per kernel of a chain of dependent one-element kernels in one CUDA graph (slope over the chain
    length): launch and drain, no work."""


H200_KERNELS = KernelMeasurement(
    device="NVIDIA H200 (SXM), driver 580.159.04, SM clock max 1980 MHz",
    date="2026-12-04",
    software="PyTorch 2.11.0+cu130, median of 30 CUDA-event-timed graph replays after 5 warm-ups, chains of 64-1024",
    empty_kernel_us=1.128,
)
"""tests/catalog/measured/h200-kernels-2026-12-04.json. Elementwise kernels over 64 tokens' activations (x 4,096 or
8,192, bf16) take 0.9-1.05 us beside their bytes at copy bandwidth, the same boundary; at 256 tokens 0.3-0.7 us (their
work hides part of it), so at large batches the planner's boundary is an upper bound."""

_DENSE_PEAK_TFLOPS = {"bf16": 989.0, "fp8": 1979.0}
"""H100/H200 SXM dense peaks (NVIDIA H100/H200 datasheets; the sparsity figures halved)."""


def _measured_ceiling(precision: str) -> float:
    """Best measured rate over both Hopper measurements' shapes, averaged, over the dense peak."""
    rates = [
        max((measurement.bf16_tflops if precision == "bf16" else measurement.fp8_tflops).values())
        for measurement in (H100_MEASUREMENT, H200_MEASUREMENT)
    ]
    return round(sum(rates) / len(rates) / _DENSE_PEAK_TFLOPS[precision], 3)


CALIBRATION = Calibration(
    # W4A16 dequantizes to 16-bit and runs bf16 MMAs; NVFP4 (Blackwell only) was not measured: taken as FP8's.
    gemm_ceiling={
        "bf16": _measured_ceiling("bf16"),
        "fp8": _measured_ceiling("fp8"),
        "nvfp4": _measured_ceiling("fp8"),
        "int4_awq": _measured_ceiling("bf16"),
    },
    gemm_efficiency=0.790,
    bandwidth_efficiency=round(H100_MEASUREMENT.copy_gb_s / 3350, 2),
    attention_efficiency=round(H200_MEASUREMENT.prefill_attention_tflops[4096] / _DENSE_PEAK_TFLOPS["bf16"], 2),
    step_overhead_ms=0.01,
    kernel_boundary_us=H200_KERNELS.empty_kernel_us,
    request_overhead_us=7.38,
    roofline_sharpness=1.62,
    reserved_gib=3.5,
    kv_cache_fraction=0.9,
    bench_kv_cache_fraction=0.95,
    allreduce_step_latency_us={"nvlink": 2.0, "pcie": 6.0},
    allreduce_call_us=39.7,
    allreduce_bandwidth_efficiency=0.7,
    release_0_20_speed=round(1 / 1.0246, 3),
    source=(
        "gemm_ceiling, bandwidth_efficiency and attention_efficiency: measured (H100_MEASUREMENT, H200_MEASUREMENT: "
        "large-M matrix rates per precision, copy bandwidth / 3,350 GB/s datasheet, causal flash attention of a "
        "4,096-token prompt / 989 TFLOPS). "
        "reserved_gib: CUDA context (~0.5 GiB) + activation, CUDA-graph and sampler buffers, with the usable "
        "memory nvidia-smi shows (81559 of 81920 MiB on H100). kv_cache_fraction: TensorRT-LLM's default "
        "free_gpu_memory_fraction (served replicas); bench_kv_cache_fraction: the 0.95 NVIDIA's published runs "
        "used (perf-overview). All-reduce: ring cost model; NVLink hop ~2 us and NCCL bus bandwidth "
        "~0.7 of one link direction, PCIe hop ~6 us (NCCL tests' usual figures, not fitted); allreduce_call_us, "
        "the fixed cost of each call, is fitted. "
        "kernel_boundary_us: measured (H200_KERNELS), paid once per kernel a layer launches (sizing.kernels_per_layer, "
        "counted in TensorRT-LLM v1.0's Llama layer); it replaces the fitted per-layer overhead, which the rows could "
        "not pin (fits from different starts put it anywhere from 4 to 52 us). "
        "FITTED (within their ranges) 2026-12-04 by bench/planner_cv.py's fit (8 Nelder-Mead rounds of 400 "
        "evaluations from the ranges' middle, minimising mean + power-mean(p=8)/2 of |log(predicted/published)|: "
        "smooth, so every start tried reaches the same optimum) to all 247 dense-model rows of NVIDIA's "
        "perf-overview, v1.0 and v0.20 (tests/catalog/anchors/trtllm-throughput*.csv: 8B/70B/405B, H100/H200/B200, "
        "FP8/NVFP4, TP 1-8, each run's finite request count, v0.20's rows read through release_0_20_speed): "
        "3.4% median / 15.6% max in sample. step_overhead_ms ends at the bottom of its range: beside the measured "
        "kernel boundaries the rows leave no fixed per-iteration time. "
        "gemm_efficiency and roofline_sharpness stay fitted although the H200 decode measurement "
        "(tests/catalog/measured/h200-decode-2026-12-04.json) gives bare cuBLASLt layer matmuls p ~2.6 at 0.94-0.98 "
        "of the ceiling: fixed at those, leave-one-group-out error rose to 6.8% median / 28% max (TensorRT-LLM's "
        "mixed batches do not reach bare-GEMM rates). Accuracy on unseen configurations "
        "is the leave-one-group-out figure `make bench` prints (planner_cv, refitted per fold), never these "
        "rows' in-sample error"
    ),
)
