"""GPU families the platform can schedule on, with the datasheet figures the capacity planner needs.

Compute figures are dense tensor-core peaks (NVIDIA datasheets quote "with sparsity" figures at twice these).
`int4_awq` is weight-only quantization (W4A16): weights are read as 4-bit, the matmuls run at 16-bit rate.
Memory is what EC2 reports per GPU (MiB / 1024), which is what a pod sees.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from blueprints.catalog.lookup import lookup

Precision = Literal["bf16", "fp8", "nvfp4", "int4_awq"]
PRECISIONS: tuple[Precision, ...] = ("bf16", "fp8", "nvfp4", "int4_awq")

Interconnect = Literal["nvlink", "pcie"]

_EC2_SOURCE = "EC2 instance-types reference via aws-gpu-instances.csv (GPU memory MiB as EC2 reports it)"


class Gpu(BaseModel, frozen=True):
    """One GPU family. Every figure carries the source it was taken from."""

    name: str
    architecture: Literal["ampere", "ada", "hopper", "blackwell"]
    memory_gib: float
    memory_source: str
    hbm_bandwidth_gb_s: float
    """Peak device-memory bandwidth, GB/s (10^9 bytes/s); HBM or GDDR."""
    dense_tflops: dict[Precision, float]
    """Dense tensor-core peak per serving precision, 10^12 FLOP/s (int4_awq computes at the 16-bit rate)."""
    precisions: tuple[Precision, ...]
    """Precisions TensorRT-LLM serves on this GPU (FP8 needs Ada/Hopper or newer, NVFP4 needs Blackwell)."""
    interconnect: Interconnect
    interconnect_gb_s: float
    """GPU-to-GPU bandwidth per GPU, GB/s, both directions together (as the datasheets state it)."""
    spec_source: str
    kernel_efficiency: float = 1.0
    """Achieved speed of TensorRT-LLM's kernels on this GPU relative to the Hopper-calibrated efficiencies
    (catalog/calibration.py), for architectures whose kernels reach a different share of their peaks."""
    kernel_efficiency_source: str = "the global calibration (Hopper), taken as is"

    def tflops(self, precision: Precision) -> float:
        return self.dense_tflops[precision]


def _gpu(**fields: object) -> Gpu:
    return Gpu.model_validate(fields)


GPUS: dict[str, Gpu] = {
    gpu.name: gpu
    for gpu in (
        _gpu(
            name="H100",
            architecture="hopper",
            memory_gib=81920 / 1024,
            memory_source=_EC2_SOURCE,
            hbm_bandwidth_gb_s=3350,
            dense_tflops={"bf16": 989, "fp8": 1979, "int4_awq": 989},
            precisions=("bf16", "fp8", "int4_awq"),
            interconnect="nvlink",
            interconnect_gb_s=900,
            spec_source="NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column (HBM3 3.35 TB/s, "
            "BF16 1,979 / FP8 3,958 TFLOPS with sparsity, NVLink 900 GB/s)",
        ),
        _gpu(
            name="H200",
            architecture="hopper",
            memory_gib=144384 / 1024,
            memory_source=_EC2_SOURCE,
            hbm_bandwidth_gb_s=4800,
            dense_tflops={"bf16": 989, "fp8": 1979, "int4_awq": 989},
            precisions=("bf16", "fp8", "int4_awq"),
            interconnect="nvlink",
            interconnect_gb_s=900,
            spec_source="NVIDIA H200 Tensor Core GPU datasheet, H200 SXM column (HBM3e 4.8 TB/s, "
            "BF16 1,979 / FP8 3,958 TFLOPS with sparsity, NVLink 900 GB/s)",
        ),
        _gpu(
            name="B200",
            architecture="blackwell",
            memory_gib=183359 / 1024,
            memory_source=_EC2_SOURCE,
            hbm_bandwidth_gb_s=7700,
            dense_tflops={"bf16": 2250, "fp8": 4500, "nvfp4": 9000},
            precisions=("bf16", "fp8", "nvfp4"),
            interconnect="nvlink",
            interconnect_gb_s=1800,
            spec_source="NVIDIA HGX B200 specifications, per GPU (HBM3e 7.7 TB/s; FP4 18, FP8 9, BF16 4.5 "
            "PFLOPS with sparsity; NVLink 5 1.8 TB/s); p6-b200 instances are HGX B200",
            kernel_efficiency=0.7,
            kernel_efficiency_source="MLPerf Inference v4.1 Llama-2-70B offline, per GPU: B200 (FP4) 11,264 "
            "vs H200 (FP8) 4,488 tokens/s, 2.51x; at 1.0 this planner predicts 3.1-3.7x for that architecture "
            "(ISL/OSL 300-2048), so Blackwell's kernels reached about 0.7 of Hopper's share of peak",
        ),
        _gpu(
            name="A100",
            architecture="ampere",
            memory_gib=81920 / 1024,
            memory_source=_EC2_SOURCE + "; p4de.24xlarge (80 GB); p4d.24xlarge carries the 40 GB part",
            hbm_bandwidth_gb_s=2039,
            dense_tflops={"bf16": 312, "int4_awq": 312},
            precisions=("bf16", "int4_awq"),
            interconnect="nvlink",
            interconnect_gb_s=600,
            spec_source="NVIDIA A100 Tensor Core GPU datasheet, A100 80GB SXM column (HBM2e 2,039 GB/s, "
            "BF16 312 TFLOPS dense, NVLink 600 GB/s)",
        ),
        _gpu(
            name="L40S",
            architecture="ada",
            memory_gib=45776 / 1024,
            memory_source=_EC2_SOURCE,
            hbm_bandwidth_gb_s=864,
            dense_tflops={"bf16": 362, "fp8": 733, "int4_awq": 362},
            precisions=("bf16", "fp8", "int4_awq"),
            interconnect="pcie",
            interconnect_gb_s=64,
            spec_source="NVIDIA L40S datasheet (GDDR6 864 GB/s, BF16 362 / FP8 733 TFLOPS dense, "
            "PCIe Gen4 x16 64 GB/s, no NVLink)",
        ),
        _gpu(
            name="L4",
            architecture="ada",
            memory_gib=22888 / 1024,
            memory_source=_EC2_SOURCE,
            hbm_bandwidth_gb_s=300,
            dense_tflops={"bf16": 121, "fp8": 242, "int4_awq": 121},
            precisions=("bf16", "fp8", "int4_awq"),
            interconnect="pcie",
            interconnect_gb_s=64,
            spec_source="NVIDIA L4 Tensor Core GPU datasheet (GDDR6 300 GB/s, BF16 242 / FP8 485 TFLOPS "
            "with sparsity, PCIe Gen4 x16 64 GB/s)",
        ),
        _gpu(
            name="A10G",
            architecture="ampere",
            memory_gib=22888 / 1024,
            memory_source=_EC2_SOURCE,
            hbm_bandwidth_gb_s=600,
            dense_tflops={"bf16": 125, "int4_awq": 125},
            precisions=("bf16", "int4_awq"),
            interconnect="pcie",
            interconnect_gb_s=64,
            spec_source="NVIDIA A10 Tensor Core GPU datasheet (A10G is the AWS build of the same GA102 part; "
            "GDDR6 600 GB/s, BF16 125 TFLOPS dense, PCIe Gen4 x16 64 GB/s)",
        ),
    )
}


def gpu_named(name: str, what: str = "gpu") -> Gpu:
    return lookup(GPUS, name, what)
