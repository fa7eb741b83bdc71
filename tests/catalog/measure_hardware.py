"""Measure a GPU's achievable memory bandwidth and matrix throughput (run by hand on a GPU machine, not in CI).

`python3 tests/catalog/measure_hardware.py` prints one JSON object: the device, the date, the device-to-device
copy bandwidth (bytes read + written), bf16/fp8 matrix-product rates at serving-like shapes (M tokens x
K=N=8192), the causal flash-attention rate of a prefill (bf16, 32 heads of 128, one prompt) and the bandwidth of
grouped-query decode attention (one new token per request reading its whole K/V cache; 8 KV heads of 128, 4 query
heads each). The figures recorded in blueprints/catalog/calibration.py came from this script.
"""

from __future__ import annotations

import datetime
import json

import torch


def median_ms(function, repeats: int = 20, warmups: int = 3) -> float:
    """Median of CUDA-event-timed runs of `function` after `warmups` untimed ones (shared with measure_decode.py)."""
    for _ in range(warmups):
        function()
    torch.cuda.synchronize()
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
    ms = median_ms(lambda: target.copy_(source))
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

    ms = median_ms(run)
    return 2 * m * n * k / (ms / 1e3) / 1e12


def prefill_attention_tflops(prompt: int, heads: int = 32, head_dim: int = 128) -> float:
    """Causal attention of one `prompt`-token sequence: QK^T and PV, 4 * head_dim FLOPs per (query, key) pair
    that the causal mask keeps (half of them)."""
    q, k, v = (torch.randn(1, heads, prompt, head_dim, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    ms = median_ms(lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True))
    return 4 * head_dim * heads * prompt * prompt / 2 / (ms / 1e3) / 1e12


def decode_attention_gb_s(batch: int, context: int, kv_heads: int = 8, group: int = 4, head_dim: int = 128) -> float:
    """One decode step's attention: each request's `group` query heads per KV head read that head's cached K and V
    (the query heads sharing a KV head ride as `group` query rows, which is what grouped-query attention computes)."""
    q = torch.randn(batch, kv_heads, group, head_dim, device="cuda", dtype=torch.bfloat16)
    k, v = (torch.randn(batch, kv_heads, context, head_dim, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    ms = median_ms(lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v))
    return 2 * k.numel() * k.element_size() / (ms / 1e3) / 1e9


def main() -> None:
    shapes = (16, 64, 128, 256, 512, 1024, 2048, 4096, 16384)
    print(
        json.dumps(
            {
                "device": torch.cuda.get_device_name(),
                "date": datetime.date.today().isoformat(),
                "torch": torch.__version__,
                "copy_gb_s": round(copy_gb_s(), 1),
                "bf16_tflops": {m: round(matmul_tflops(m), 1) for m in shapes},
                "fp8_tflops": {m: round(matmul_tflops(m, fp8=True), 1) for m in shapes},
                "prefill_attention_tflops": {n: round(prefill_attention_tflops(n), 1) for n in (1024, 4096, 16384)},
                "decode_attention_gb_s": {
                    f"{b}x{n}": round(decode_attention_gb_s(b, n), 1) for b, n in ((16, 4096), (64, 2048), (64, 8192))
                },
            }
        )
    )


if __name__ == "__main__":
    main()
