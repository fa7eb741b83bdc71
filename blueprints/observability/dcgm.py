"""The DCGM exporter's metric list (dcgm-metrics.csv): health, memory and the profiling (DCP) counters.

Format and field names: NVIDIA/dcgm-exporter `etc/dcp-metrics-included.csv` (field, Prometheus type, help).
"""

from __future__ import annotations

from blueprints.observability import metrics as m

CONFIGMAP = "dcgm-exporter-metrics"
FILE = "dcgm-metrics.csv"

FIELDS: tuple[tuple[str, str, str], ...] = (
    (m.DCGM_GPU_UTIL, "gauge", "GPU utilization (in %)."),
    ("DCGM_FI_DEV_SM_CLOCK", "gauge", "SM clock frequency (in MHz)."),
    (m.DCGM_TEMP, "gauge", "GPU temperature (in C)."),
    (m.DCGM_POWER, "gauge", "Power draw (in W)."),
    (m.DCGM_FB_USED, "gauge", "Framebuffer memory used (in MiB)."),
    (m.DCGM_FB_FREE, "gauge", "Framebuffer memory free (in MiB)."),
    (m.DCGM_XID, "gauge", "Value of the last XID error encountered."),
    (m.DCGM_ECC_DBE, "counter", "Total number of double-bit volatile ECC errors."),
    (m.DCGM_ROW_REMAP_FAILURE, "gauge", "Whether remapping of rows has failed."),
    ("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "counter", "Total number of PCIe retries."),
    ("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "gauge", "Ratio of time the graphics engine is active."),
    (m.DCGM_SM_ACTIVE, "gauge", "The ratio of cycles an SM has at least 1 warp assigned."),
    ("DCGM_FI_PROF_SM_OCCUPANCY", "gauge", "The ratio of number of warps resident on an SM."),
    (m.DCGM_TENSOR_ACTIVE, "gauge", "Ratio of cycles the tensor (HMMA) pipe is active."),
    (m.DCGM_DRAM_ACTIVE, "gauge", "Ratio of cycles the device memory interface is active sending or receiving."),
    ("DCGM_FI_PROF_PCIE_TX_BYTES", "gauge", "The rate of data transmitted over the PCIe bus (bytes/s)."),
    ("DCGM_FI_PROF_PCIE_RX_BYTES", "gauge", "The rate of data received over the PCIe bus (bytes/s)."),
    ("DCGM_FI_PROF_NVLINK_TX_BYTES", "gauge", "The rate of data transmitted over NVLink (bytes/s)."),
    ("DCGM_FI_PROF_NVLINK_RX_BYTES", "gauge", "The rate of data received over NVLink (bytes/s)."),
)


def metrics_csv() -> str:
    return "".join(f"{field}, {kind}, {help_}\n" for field, kind, help_ in FIELDS)
