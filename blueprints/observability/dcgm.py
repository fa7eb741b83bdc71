"""The DCGM exporter's metric list (its counters CSV): health, memory and the profiling (DCP) counters.

Both ways the platform runs the exporter read this list: the GPU operator (ConfigMap `dcgm-exporter-metrics`) and
the standalone dcgm-exporter chart (its `customMetrics` value). Format: `field, Prometheus type, help` per line,
as in the chart's own CSV; each field and its type come from blueprints.catalog.metrics.DCGM_EXPORTER.
"""

from __future__ import annotations

from blueprints.catalog import metrics as m

CONFIGMAP = "dcgm-exporter-metrics"
FILE = "dcgm-metrics.csv"

FIELDS: tuple[tuple[str, str], ...] = (
    (m.DCGM_GPU_UTIL, "GPU utilization (in %)."),
    ("DCGM_FI_DEV_SM_CLOCK", "SM clock frequency (in MHz)."),
    (m.DCGM_TEMP, "GPU temperature (in C)."),
    (m.DCGM_POWER, "Power draw (in W)."),
    (m.DCGM_FB_USED, "Framebuffer memory used (in MiB)."),
    (m.DCGM_FB_FREE, "Framebuffer memory free (in MiB)."),
    (m.DCGM_XID, "Value of the last XID error encountered."),
    (m.DCGM_ECC_DBE, "Total number of double-bit volatile ECC errors."),
    (m.DCGM_ROW_REMAP_FAILURE, "Whether remapping of rows has failed."),
    ("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "Total number of PCIe retries."),
    ("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "Ratio of time the graphics engine is active."),
    (m.DCGM_SM_ACTIVE, "The ratio of cycles an SM has at least 1 warp assigned."),
    ("DCGM_FI_PROF_SM_OCCUPANCY", "The ratio of number of warps resident on an SM."),
    (m.DCGM_TENSOR_ACTIVE, "Ratio of cycles the tensor (HMMA) pipe is active."),
    (m.DCGM_DRAM_ACTIVE, "Ratio of cycles the device memory interface is active sending or receiving data."),
    ("DCGM_FI_PROF_PCIE_TX_BYTES", "The number of bytes of active pcie tx data including both header and payload."),
    ("DCGM_FI_PROF_PCIE_RX_BYTES", "The number of bytes of active pcie rx data including both header and payload."),
    ("DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL", "Total number of NVLink bandwidth counters for all lanes."),
)


def emitted() -> frozenset[str]:
    """The DCGM series the platform's exporter emits."""
    return frozenset(field for field, _help in FIELDS)


def metrics_csv() -> str:
    return "".join(f"{field}, {m.DCGM_EXPORTER.metric(field).type}, {help_}\n" for field, help_ in FIELDS)
