"""Measure a GPU's achievable memory bandwidth and matrix throughput (run by hand on a GPU machine, not in CI).

`python3 tests/catalog/measure_hardware.py` prints one JSON object: the device, the date, the device-to-device
copy bandwidth (bytes read + written) and bf16/fp8 matrix-product rates at serving-like shapes (M tokens x
K=N=8192). The figures recorded in blueprints/catalog/calibration.py came from this script.
"""

from __future__ import annotations

import datetime
import json

import torch


def _median_ms(function, repeats: int = 20) -> float:
    for _ in range(3):
        function()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        function()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return sorted(times)[len(times) // 2]


def copy_gb_s(gib: int = 4) -> float:
    source = torch.randn(gib * 2**30 // 4, device="cuda")
    target = torch.empty_like(source)
    ms = _median_ms(lambda: target.copy_(source))
    return 2 * source.numel() * 4 / (ms / 1e3) / 1e9


def matmul_tflops(m: int, n: int = 8192, k: int = 8192, fp8: bool = False) -> float:
    a = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(n, k, device="cuda", dtype=torch.bfloat16)
    if fp8:
        a8, b8 = a.to(torch.float8_e4m3fn), b.to(torch.float8_e4m3fn).t()
        one = torch.ones((), device="cuda")

        def run():
            return torch._scaled_mm(a8, b8, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
    else:
        bt = b.t()

        def run():
            return a @ bt

    ms = _median_ms(run)
    return 2 * m * n * k / (ms / 1e3) / 1e12


def main() -> None:
    shapes = (64, 256, 1024, 4096, 16384)
    print(
        json.dumps(
            {
                "device": torch.cuda.get_device_name(),
                "date": datetime.date.today().isoformat(),
                "torch": torch.__version__,
                "copy_gb_s": round(copy_gb_s(), 1),
                "bf16_tflops": {m: round(matmul_tflops(m), 1) for m in shapes},
                "fp8_tflops": {m: round(matmul_tflops(m, fp8=True), 1) for m in shapes},
            }
        )
    )


if __name__ == "__main__":
    main()
