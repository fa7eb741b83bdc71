"""Measure what calibrates the capacity planner's decode physics on a GPU (run by hand on a GPU machine, not in CI).

`python3 tests/catalog/measure_decode.py OUT.json` writes one JSON object (and prints a summary):

- `copy_gb_s`: device-to-device copy, bytes read + written per second (the achievable HBM bandwidth).
- `layer_gemm_us`: one transformer layer's four linear layers (QKV, O, gate+up, down) at Llama-3.1-8B and
  Llama-3.3-70B shapes (70B also as one GPU's slice at TP 8), by M tokens, bf16 and fp8 (`torch._scaled_mm`, per-
  tensor scales, activation quantisation included; M padded to a multiple of 16 as cuBLASLt's fp8 path needs).
- `decode_attention_us`: grouped-query decode attention (torch SDPA, bf16 K/V; 8 KV heads of 128, 4 query heads each;
  one layer) by "requests x context tokens".
- `decode_step_ms`: a whole decode iteration of a Llama-architecture model with random weights, written here in plain
  PyTorch (RMSNorm, QKV, RoPE, cache write, SDPA over the cache, O, SwiGLU MLP, final norm, LM head), captured in a
  CUDA graph as TensorRT-LLM captures its decode steps, by model/precision and "requests x context". 70B runs a
  slice of its layers (`layers_run`) and the figure is scaled to all 80: each layer is the same work.
  Not TensorRT-LLM: no fused kernels (norm+quantise, fused QKV/RoPE/attention, XQA with an FP8 cache), bf16 cache.

Every figure is the median of CUDA-event-timed runs after warm-ups, on random data.
"""

from __future__ import annotations

import datetime
import json
import math
import platform
import sys
import time
import traceback

import torch
import torch.nn.functional as F
from measure_hardware import copy_gb_s, median_ms  # this folder: both scripts run from here

SHAPES = {
    # name: (hidden, heads, kv_heads, head_dim, ffn, vocab, layers, tp)
    "llama-3.1-8b": (4096, 32, 8, 128, 14336, 128256, 32, 1),
    "llama-3.3-70b": (8192, 64, 8, 128, 28672, 128256, 80, 1),
    "llama-3.3-70b-tp8": (8192, 64, 8, 128, 28672, 128256, 80, 8),
}
FP8 = torch.float8_e4m3fn


class Linear:
    """A weight (in x out) that multiplies bf16 activations, in bf16 or fp8 (activations quantised per call)."""

    def __init__(self, k: int, n: int, precision: str) -> None:
        self.precision = precision
        weight = torch.randn(n, k, device="cuda", dtype=torch.bfloat16) * 0.02
        if precision == "fp8":
            self.weight = weight.to(FP8).t()  # column-major K x N, as _scaled_mm wants
            self.scale = torch.ones((), device="cuda")
        else:
            self.weight = weight.t()
        del weight

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.precision == "fp8":
            return torch._scaled_mm(
                x.to(FP8), self.weight, scale_a=self.scale, scale_b=self.scale, out_dtype=torch.bfloat16
            )
        return x @ self.weight


def _pad16(m: int) -> int:
    return 16 * math.ceil(m / 16)


def layer_gemm_us(name: str, precision: str, tokens: tuple[int, ...]) -> dict[int, float]:
    hidden, heads, kv_heads, head_dim, ffn, _, _, tp = SHAPES[name]
    shapes = [
        (hidden, (heads + 2 * kv_heads) * head_dim // tp),
        (heads * head_dim // tp, hidden),
        (hidden, 2 * ffn // tp),
        (ffn // tp, hidden),
    ]
    linears = [Linear(k, n, precision) for k, n in shapes]
    result = {}
    for m in tokens:
        rows = _pad16(m) if precision == "fp8" else m
        inputs = [torch.randn(rows, k, device="cuda", dtype=torch.bfloat16) for k, _ in shapes]
        result[m] = round(1e3 * sum(median_ms(lambda i=i, x=x: linears[i](x)) for i, x in enumerate(inputs)), 2)
    return result


def decode_attention_us(batch: int, context: int, kv_heads: int = 8, group: int = 4, head_dim: int = 128) -> float:
    q = torch.randn(batch, kv_heads, group, head_dim, device="cuda", dtype=torch.bfloat16)
    k, v = (torch.randn(batch, kv_heads, context, head_dim, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    ms = median_ms(lambda: F.scaled_dot_product_attention(q, k, v))
    return round(ms * 1e3, 2)


def _rms(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    x32 = x.float()
    return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + 1e-5)).to(x.dtype) * weight


def _rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


class DecodeModel:
    """A Llama-architecture decoder (random weights) that runs one decode iteration for `batch` requests each
    holding `context` cached tokens."""

    def __init__(self, name: str, precision: str, layers: int, batch: int, context: int) -> None:
        hidden, heads, kv_heads, head_dim, ffn, vocab, _, tp = SHAPES[name]
        self.heads, self.kv_heads, self.head_dim = heads // tp, max(1, kv_heads // tp), head_dim
        self.hidden, self.ffn = hidden, ffn // tp
        self.batch, self.context = batch, context
        q_width = self.heads * head_dim
        kv_width = self.kv_heads * head_dim
        self.layers = []
        for _ in range(layers):
            self.layers.append(
                {
                    "qkv": Linear(hidden, q_width + 2 * kv_width, precision),
                    "o": Linear(q_width, hidden, precision),
                    "gate_up": Linear(hidden, 2 * self.ffn, precision),
                    "down": Linear(self.ffn, hidden, precision),
                    "norm1": torch.ones(hidden, device="cuda", dtype=torch.bfloat16),
                    "norm2": torch.ones(hidden, device="cuda", dtype=torch.bfloat16),
                    "k": torch.randn(batch, self.kv_heads, context + 1, head_dim, device="cuda", dtype=torch.bfloat16),
                    "v": torch.randn(batch, self.kv_heads, context + 1, head_dim, device="cuda", dtype=torch.bfloat16),
                }
            )
        self.final_norm = torch.ones(hidden, device="cuda", dtype=torch.bfloat16)
        self.lm_head = Linear(hidden, vocab // tp, "bf16")  # ModelOpt keeps the LM head 16-bit
        self.rows = _pad16(batch) if precision == "fp8" else batch
        self.x = torch.randn(self.rows, hidden, device="cuda", dtype=torch.bfloat16)
        angle = torch.rand(self.rows, 1, 1, head_dim, device="cuda")
        self.cos, self.sin = angle.cos().to(torch.bfloat16), angle.sin().to(torch.bfloat16)

    def step(self) -> torch.Tensor:
        b, h, kv, d = self.batch, self.heads, self.kv_heads, self.head_dim
        x = self.x
        for layer in self.layers:
            qkv = layer["qkv"](_rms(x, layer["norm1"]))[:b]
            q = qkv[:, : h * d].view(b, h, 1, d)
            k = qkv[:, h * d : (h + kv) * d].view(b, kv, 1, d)
            v = qkv[:, (h + kv) * d :].view(b, kv, 1, d)
            q, k = _rope(q, self.cos[:b], self.sin[:b]), _rope(k, self.cos[:b], self.sin[:b])
            layer["k"][:, :, self.context : self.context + 1].copy_(k)
            layer["v"][:, :, self.context : self.context + 1].copy_(v)
            # Grouped-query attention: the query heads sharing a KV head ride as that head's query rows.
            attention = F.scaled_dot_product_attention(q.view(b, kv, h // kv, d), layer["k"], layer["v"])
            attention = attention.reshape(b, h * d)
            if self.rows != b:
                attention = F.pad(attention, (0, 0, 0, self.rows - b))
            x = x + layer["o"](attention)
            gate, up = layer["gate_up"](_rms(x, layer["norm2"])).chunk(2, dim=-1)
            x = x + layer["down"](F.silu(gate) * up)
        return self.lm_head(_rms(x[:b], self.final_norm))

    def graphed_ms(self) -> float:
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(2):
                self.step()
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self.step()
        return median_ms(graph.replay, repeats=10)


def decode_steps(name: str, precision: str, layers_run: int, cases: tuple[tuple[int, int], ...], deadline: float):
    total_layers = SHAPES[name][6]
    result = {}
    for batch, context in cases:
        if time.time() > deadline:
            result[f"{batch}x{context}"] = "skipped: time budget"
            continue
        try:
            model = DecodeModel(name, precision, layers_run, batch, context)
            graphed = model.graphed_ms()
            eager = median_ms(model.step, repeats=5, warmups=1)
            # Scale the layers to the whole model; the LM head and final norm run once either way.
            head = median_ms(lambda m=model, b=batch: m.lm_head(_rms(m.x[:b], m.final_norm)))
            scale = total_layers / layers_run
            result[f"{batch}x{context}"] = {
                "graphed_ms": round(head + (graphed - head) * scale, 3),
                "eager_ms": round(head + (eager - head) * scale, 3),
                "tok_s": round(batch / ((head + (graphed - head) * scale) / 1e3), 1),
            }
        except Exception as error:  # one failed case must not lose the others
            result[f"{batch}x{context}"] = f"error: {type(error).__name__}: {error}"[:300]
        finally:
            model = None
            torch.cuda.empty_cache()
        print(name, precision, batch, context, result[f"{batch}x{context}"], flush=True)
    return result


def _guarded(results: dict, key: str, function) -> None:
    started = time.time()
    try:
        results[key] = function()
    except Exception:  # record the failure, keep measuring
        results[key] = "error: " + traceback.format_exc(limit=3)[-600:]
    print(f"{key}: {time.time() - started:.1f} s", flush=True)
    torch.cuda.empty_cache()


def main(path: str, budget_s: float = 420.0) -> None:
    started = time.time()
    deadline = started + budget_s
    torch.manual_seed(0)
    properties = torch.cuda.get_device_properties(0)
    results: dict = {
        "device": torch.cuda.get_device_name(),
        "memory_mib": properties.total_memory // 2**20,
        "multiprocessors": properties.multi_processor_count,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "software": f"PyTorch {torch.__version__}, CUDA {torch.version.cuda}, Python {platform.python_version()}",
        "script": "tests/catalog/measure_decode.py",
    }
    tokens = (1, 8, 32, 64, 128, 256, 512, 1024, 2048, 4096)
    _guarded(results, "copy_gb_s", lambda: round(copy_gb_s(), 1))
    results["layer_gemm_us"] = {}
    for name in SHAPES:
        for precision in ("bf16", "fp8"):
            _guarded(
                results["layer_gemm_us"], f"{name}/{precision}", lambda n=name, p=precision: layer_gemm_us(n, p, tokens)
            )
    _guarded(
        results,
        "decode_attention_us",
        lambda: {
            f"{b}x{n}": decode_attention_us(b, n)
            for b, n in (
                (1, 2048),
                (8, 2048),
                (32, 2048),
                (64, 512),
                (64, 2048),
                (64, 8192),
                (128, 2048),
                (256, 2048),
                (256, 8192),
            )
        },
    )
    results["decode_step_ms"] = {}
    cases_8b = (
        (1, 2048),
        (8, 2048),
        (32, 2048),
        (64, 2048),
        (128, 2048),
        (256, 2048),
        (64, 512),
        (64, 8192),
        (256, 512),
    )
    cases_70b = ((1, 2048), (8, 2048), (32, 2048), (64, 2048), (128, 2048), (256, 2048))
    for name, precision, layers_run, cases in (
        ("llama-3.1-8b", "fp8", 32, cases_8b),
        ("llama-3.1-8b", "bf16", 32, cases_8b),
        ("llama-3.3-70b", "fp8", 10, cases_70b),
    ):
        _guarded(
            results["decode_step_ms"],
            f"{name}/{precision}",
            lambda n=name, p=precision, r=layers_run, c=cases: {"layers_run": r, **decode_steps(n, p, r, c, deadline)},
        )
    results["seconds"] = round(time.time() - started, 1)
    with open(path, "w") as handle:
        json.dump(results, handle, indent=1)
    print(json.dumps(results)[:3000])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "decode.json")
