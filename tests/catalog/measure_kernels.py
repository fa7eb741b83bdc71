"""Measure what one kernel boundary costs inside a CUDA graph (run by hand on a GPU machine, not in CI).

TensorRT-LLM replays its decode iterations as CUDA graphs, so a layer's fixed time is its kernels' launch gaps and
ramp/drain beside their work. `python3 tests/catalog/measure_kernels.py OUT.json` writes one JSON object (and
prints it):

- `empty_kernel_us`: graph replay time per kernel of a chain of dependent one-element in-place adds, from the slope
  over chain lengths (the replay's own fixed cost cancels): launch and drain, no work.
- `small_kernel_us`: the same per kernel for elementwise in-place multiplies over a decode step's activations
  (`tokens x hidden`, bf16), by "tokens x hidden", with `bytes_us`, what its bytes (read + written) take at the
  measured copy bandwidth: the rest is the kernel's fixed cost at that size.
- `gemm_chain_us`: per matrix product of a chain of dependent bf16 products `tokens x hidden x hidden` in one graph,
  against the same product alone in a graph (`gemm_alone_us`): what back-to-back replay hides or adds.

Every figure is the median of CUDA-event-timed graph replays after warm-ups.
"""

from __future__ import annotations

import datetime
import json
import platform
import sys

import torch
from measure_hardware import copy_gb_s, median_ms  # this folder: both scripts run from here

CHAINS = (64, 256, 1024)
"""Kernels per graph: the slope over these is the cost of one more kernel."""


def _graphed(body) -> torch.cuda.CUDAGraph:
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        body()  # warm-up outside capture (allocations, cuBLAS workspace)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        body()
    return graph


def _per_kernel_us(make_op) -> float:
    """Least-squares slope of graph replay time over the chain length, in microseconds per kernel."""
    points = []
    for length in CHAINS:
        op = make_op()
        graph = _graphed(lambda op=op, length=length: [op() for _ in range(length)])
        points.append((length, median_ms(graph.replay, repeats=30, warmups=5) * 1e3))
    mean_n = sum(n for n, _ in points) / len(points)
    mean_t = sum(t for _, t in points) / len(points)
    slope = sum((n - mean_n) * (t - mean_t) for n, t in points) / sum((n - mean_n) ** 2 for n, _ in points)
    return round(slope, 3)


def empty_kernel_us() -> float:
    cell = torch.zeros(1, device="cuda")
    return _per_kernel_us(lambda: (lambda: cell.add_(1.0)))


def small_kernel_us(bandwidth_gb_s: float) -> dict[str, dict[str, float]]:
    results = {}
    for tokens in (64, 256, 1024, 4096):
        for hidden in (4096, 8192):
            activations = torch.randn(tokens, hidden, device="cuda", dtype=torch.bfloat16)
            per_kernel = _per_kernel_us(lambda a=activations: (lambda: a.mul_(1.0)))
            moved = 2 * activations.numel() * activations.element_size()
            results[f"{tokens}x{hidden}"] = {
                "kernel_us": per_kernel,
                "bytes_us": round(moved / (bandwidth_gb_s * 1e9) * 1e6, 3),
            }
            del activations
    return results


def gemm_chain_us() -> dict[str, dict[str, float]]:
    results = {}
    for tokens in (64, 256, 1024):
        for hidden in (4096, 8192):
            weight = torch.randn(hidden, hidden, device="cuda", dtype=torch.bfloat16) * 0.01
            buffers = [torch.randn(tokens, hidden, device="cuda", dtype=torch.bfloat16) for _ in range(2)]

            def one(buffers=buffers, weight=weight) -> None:
                torch.mm(buffers[0], weight, out=buffers[1])

            alone = median_ms(_graphed(one).replay, repeats=30, warmups=5) * 1e3

            def chained(buffers=buffers, weight=weight) -> None:
                for i in range(32):
                    torch.mm(buffers[i % 2], weight, out=buffers[(i + 1) % 2])

            chain = median_ms(_graphed(chained).replay, repeats=30, warmups=5) * 1e3 / 32
            results[f"{tokens}x{hidden}"] = {"gemm_alone_us": round(alone, 2), "gemm_chain_us": round(chain, 2)}
            del weight, buffers
    return results


def main(path: str) -> None:
    torch.manual_seed(0)
    bandwidth = copy_gb_s()
    results = {
        "device": torch.cuda.get_device_name(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "software": f"PyTorch {torch.__version__}, CUDA {torch.version.cuda}, Python {platform.python_version()}",
        "script": "tests/catalog/measure_kernels.py",
        "copy_gb_s": round(bandwidth, 1),
        "empty_kernel_us": empty_kernel_us(),
        "small_kernel_us": small_kernel_us(bandwidth),
        "gemm_chain_us": gemm_chain_us(),
    }
    text = json.dumps(results, indent=1)
    print(text)
    with open(path, "w") as out:
        out.write(text + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
