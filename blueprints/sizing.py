"""Capacity and cost planner: how fast a TensorRT-LLM replica serves a model, and what a workload costs.

The estimate is physics, scaled by a few global efficiency constants (catalog/calibration.py):

- An engine iteration (continuous batching, in-flight prefill/decode mixing) runs, one kernel family after
  another: the linear layers over every token in the batch (time = max(weight streaming, tensor FLOPs)),
  decode attention (streams each request's KV cache, so it grows with context), prefill attention (quadratic
  in the prompt: causal, mean context half the prompt), two tensor-parallel all-reduces per layer, and a fixed
  per-iteration overhead.
- The KV cache (free GPU memory after weights, runtime and the activations of a max_num_tokens forward pass,
  times the cache fraction) bounds how many requests are in flight; every decoding request yields one token per
  iteration. Prompts are prefilled whole, in chunks of the token budget: with few requests in flight only some
  iterations carry a (compute-bound) prefill chunk.
- Without an SLO (NVIDIA's published max-throughput setting) the batch is as large as the KV cache and
  trtllm-bench's batch/token caps allow. With an SLO, the batch is the largest one whose time per output token
  and time to first token meet it, searched only under the limits the server is configured with
  (`server_limits`: the LLM-API options file of trtllm-serve emits exactly those), so every plan is servable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Literal

from pydantic import BaseModel

from blueprints.catalog.calibration import CALIBRATION, Calibration
from blueprints.catalog.gpus import PRECISIONS, Gpu, Precision
from blueprints.catalog.hosted import HostedModel
from blueprints.catalog.instances import CAPACITY_TYPES, HOURS_PER_MONTH, CapacityType, InstanceType, instances_for
from blueprints.catalog.models import ModelArch, kv_bytes_per_token, weight_bytes
from blueprints.errors import BlueprintError

GIB = 1024**3
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
KV_BLOCK_TOKENS = 32
"""TensorRT-LLM allocates the paged KV cache in blocks of this many tokens (tokens_per_block default)."""
BENCH_MAX_BATCH = 4096
BENCH_MAX_NUM_TOKENS = 32768
"""trtllm-bench's caps on max_batch_size and max_num_tokens (tensorrt_llm/bench/build/tuning.py)."""
MAX_BATCH_SIZE_CAP = 256
"""Upper bound on concurrent sequences per served replica: past it, decode steps get slow enough to miss TPOT SLOs."""
MIN_BATCH_SIZE = 4
MIN_SEQ_LEN = 8192
SEQ_LEN_HEADROOM = 4
"""max_seq_len = this x the traffic's input+output tokens (rounded up to a power of two): long requests fit."""
SMALL_GPU_GIB = 40
"""GPUs with less memory per device get a smaller token budget per iteration (max_num_tokens)."""


def _roofline(memory_s: float, compute_s: float, p: float) -> float:
    """Time of a kernel that must both stream `memory_s` worth of bytes and run `compute_s` worth of FLOPs.

    A smooth roofline (p-norm): the max of the two far from the ridge point, slower near it, where neither
    the memory system nor the tensor cores run at full rate."""
    return (memory_s**p + compute_s**p) ** (1 / p)


@dataclass(frozen=True)
class StepTime:
    """Seconds one engine iteration spends in each kernel family."""

    linear: float
    decode_attention: float
    prefill_attention: float
    allreduce: float
    overhead: float

    @property
    def total(self) -> float:
        return self.linear + self.decode_attention + self.prefill_attention + self.allreduce + self.overhead

    def mixed(self, other: StepTime, share: float) -> StepTime:
        """The mean of `share` iterations like this one and `1 - share` like `other`, kernel family by family."""
        return StepTime(*(
            share * getattr(self, field.name) + (1 - share) * getattr(other, field.name) for field in fields(self)
        ))

    def breakdown_ms(self) -> dict[str, float]:
        return {
            "linear": self.linear * 1e3,
            "decode_attention": self.decode_attention * 1e3,
            "prefill_attention": self.prefill_attention * 1e3,
            "allreduce": self.allreduce * 1e3,
            "overhead": self.overhead * 1e3,
        }


@dataclass(frozen=True)
class Engine:
    """One tensor-parallel replica: `tp` GPUs of `gpu_memory_gib` each, serving `model` at `precision`."""

    model: ModelArch
    gpu: Gpu
    tp: int
    precision: Precision
    gpu_memory_gib: float
    kv_cache_fraction: float = CALIBRATION.kv_cache_fraction
    """Share of the memory left after weights and runtime that the KV cache gets (`free_gpu_memory_fraction`)."""
    calibration: Calibration = CALIBRATION
    """The efficiency constants (the shipped ones; cross-validation passes constants refitted without a group)."""
    max_num_tokens: int = 8192
    """Tokens per iteration the engine is configured for: its activations at that many tokens are reserved
    before the KV cache is sized (TensorRT-LLM profiles a forward pass of max_num_tokens first)."""

    @property
    def weight_gib_per_gpu(self) -> float:
        return weight_bytes(self.model, self.precision) / self.tp / GIB

    @property
    def kv_bytes_per_token_per_gpu(self) -> float:
        # Each GPU holds kv_heads / tp heads; beyond tp = kv_heads the heads are replicated.
        return kv_bytes_per_token(self.model, self.precision) / min(self.tp, self.model.kv_heads)

    @property
    def kernels_per_layer(self) -> int:
        """Kernels one decoder layer launches in a decode iteration beside its all-reduces, as TensorRT-LLM v1.0's
        PyTorch backend runs a Llama layer (models/modeling_llama.py LlamaDecoderLayer; modules/linear.py quantises
        a 16-bit input in its own kernel; modules/gated_mlp.py fuses SwiGLU with that quantisation): add+RMSNorm,
        QKV, RoPE and cache write, attention, O, add+RMSNorm, gate+up, SwiGLU, down, and with quantised
        activations one quantisation before QKV and one before gate+up. Tensor parallel with hidden > 4096 fuses
        each add+RMSNorm (and its quantisation) into the all-reduce before it (RESIDUAL_RMS_NORM*)."""
        if self.tp > 1 and self.model.hidden_size > 4096:
            return 7
        return 11 if self.precision in ("fp8", "nvfp4") else 9

    @property
    def activation_gib_per_gpu(self) -> float:
        """Peak activations of one layer's forward pass over `max_num_tokens` tokens, 16-bit: the MLP's gate+up
        output, its activated half and that half quantised, the QKV and attention outputs, and the residual
        stream with its normalised copy (the layers run one after another, so one layer's tensors are live)."""
        model, tp = self.model, self.tp
        per_token = (
            2 * (2 * model.ffn_size / tp) + 3 * model.ffn_size / tp
            + 2 * (2 * model.heads + 2 * model.kv_heads) * model.head_dim / tp
            + 4 * 2 * model.hidden_size
        )
        return self.max_num_tokens * per_token / GIB

    @property
    def kv_cache_tokens(self) -> int:
        free_gib = (
            self.gpu_memory_gib - self.weight_gib_per_gpu - self.calibration.reserved_gib - self.activation_gib_per_gpu
        )
        cache_bytes = max(free_gib, 0.0) * GIB * self.kv_cache_fraction
        return int(cache_bytes / self.kv_bytes_per_token_per_gpu)

    def requests_in_cache(self, sequence_tokens: int) -> int:
        """Requests whose whole sequence fits the KV cache at once (the no-evict scheduler reserves it)."""
        blocks_per_request = math.ceil(sequence_tokens / KV_BLOCK_TOKENS)
        return self.kv_cache_tokens // KV_BLOCK_TOKENS // blocks_per_request

    def step(self, decode_tokens: float, prefill_tokens: float, decode_context: float, prompt: int) -> StepTime:
        """One iteration with `decode_tokens` requests decoding at mean context `decode_context` and
        `prefill_tokens` prompt tokens (of prompts `prompt` long) being prefilled."""
        model, gpu, tp, cal = self.model, self.gpu, self.tp, self.calibration
        bandwidth = gpu.hbm_bandwidth_gb_s * 1e9 * cal.bandwidth_efficiency * gpu.kernel_efficiency
        gemm_flops = (
            gpu.tflops(self.precision) * 1e12 * cal.gemm_ceiling[self.precision] * cal.gemm_efficiency
            * gpu.kernel_efficiency
        )
        attention_flops = gpu.tflops("bf16") * 1e12 * cal.attention_efficiency * gpu.kernel_efficiency
        lm_head = model.vocab_size * model.hidden_size
        # The embedding table is gathered, not streamed: only the blocks' matmuls and the LM head are read.
        streamed = weight_bytes(self.model, self.precision) - 2.0 * lm_head
        flops = 2 * (model.linear_params * (decode_tokens + prefill_tokens) + lm_head * decode_tokens) / tp
        linear = _roofline(streamed / tp / bandwidth, flops / gemm_flops, cal.roofline_sharpness)
        decode_attention = decode_tokens * decode_context * self.kv_bytes_per_token_per_gpu / bandwidth
        # QK^T and PV: 4 * head_dim FLOPs per head, per (query, key) pair; causal prompts see half on average.
        attention_width = 4 * model.layers * model.heads * model.head_dim / tp
        prefill_attention = prefill_tokens * (prompt / 2) * attention_width / attention_flops
        kernel_boundaries = cal.kernel_boundary_us * self.kernels_per_layer * model.layers
        return StepTime(
            linear=linear,
            decode_attention=decode_attention,
            prefill_attention=prefill_attention,
            allreduce=self._allreduce(decode_tokens + prefill_tokens),
            overhead=cal.step_overhead_ms / 1e3 + (kernel_boundaries + cal.request_overhead_us * decode_tokens) / 1e6,
        )

    def _allreduce(self, tokens: float) -> float:
        """Two all-reduces of the 16-bit hidden states per layer, when tensor parallel, each costing as a ring
        all-reduce does: 2(tp-1) steps of one link latency, and 2(tp-1)/tp of the message over one link."""
        if self.tp == 1:
            return 0.0
        cal = self.calibration
        link = self.gpu.interconnect_gb_s / 2 * 1e9 * cal.allreduce_bandwidth_efficiency
        message = tokens * self.model.hidden_size * 2
        steps = 2 * (self.tp - 1)
        one = (cal.allreduce_call_us + steps * cal.allreduce_step_latency_us[self.gpu.interconnect]) / 1e6
        one += steps / self.tp * message / link
        return 2 * self.model.layers * one

    def steady_step(self, batch: int, isl: int, osl: int) -> StepTime:
        """Mean iteration with `batch` requests in flight: each iteration every request yields a token, and
        prompts arrive at the rate requests finish (isl / osl prompt tokens per output token).

        Prompts are prefilled whole (in chunks of what the token budget leaves beside the decoders), not spread
        thinly over every iteration: when fewer than a prompt's worth of tokens arrive per iteration, only some
        iterations carry a prefill chunk (and run at its compute cost) while the rest only decode."""
        arriving = batch * isl / osl
        chunk = min(max(isl, arriving), max(self.max_num_tokens - batch, 1))
        share = min(1.0, arriving / chunk)
        context = isl + osl / 2
        with_chunk = self.step(batch, chunk, context, isl)
        if share >= 1.0:
            return with_chunk
        return with_chunk.mixed(self.step(batch, 0.0, context, isl), share)


@dataclass(frozen=True)
class ServerLimits:
    """What trtllm-serve runs one replica with: the LLM-API options file emits these; the SLO search stays under."""

    max_batch_size: int
    """Requests scheduled per iteration: a power of two (the CUDA graphs are captured at powers of two)."""
    max_num_tokens: int
    """Tokens (decode tokens plus prefill chunks) scheduled per iteration."""
    max_seq_len: int
    kv_cache_fraction: float
    kv_cache_tokens: int
    """KV-cache capacity of the TP group at `kv_cache_fraction`, on the GPU family's catalog memory."""


def server_limits(model: ModelArch, gpu: Gpu, tp: int, precision: Precision, isl: int, osl: int) -> ServerLimits:
    """The server configuration of one replica for requests of `isl` + `osl` tokens: the one source of its limits."""
    max_num_tokens = 4096 if gpu.memory_gib < SMALL_GPU_GIB else 8192
    engine = _engine(model, gpu, tp, precision, gpu.memory_gib, max_num_tokens=max_num_tokens)
    sequence = isl + osl
    max_seq_len = min(model.max_context, max(MIN_SEQ_LEN, _pow2_ceil(SEQ_LEN_HEADROOM * sequence)))
    batch = min(MAX_BATCH_SIZE_CAP, _pow2_floor(max(MIN_BATCH_SIZE, engine.requests_in_cache(sequence))))
    return ServerLimits(
        max_batch_size=batch,
        max_num_tokens=max_num_tokens,
        max_seq_len=max_seq_len,
        kv_cache_fraction=engine.kv_cache_fraction,
        kv_cache_tokens=engine.kv_cache_tokens,
    )


def _bench_max_num_tokens(requests_in_cache: int, isl: int, osl: int) -> int:
    """trtllm-bench's max_num_tokens for a run (tensorrt_llm/bench/build/tuning.py, finetune_setting)."""
    raw = min(requests_in_cache * (1 + isl / osl), BENCH_MAX_NUM_TOKENS)
    if raw < 4096:
        return max(2048, 256 * math.ceil(raw / 256))
    if raw < 8192:
        return 512 * math.ceil(raw / 512)
    return 1024 * math.ceil(raw / 1024)


def _pow2_ceil(value: int) -> int:
    return 1 << max(0, math.ceil(math.log2(value)))


def _pow2_floor(value: int) -> int:
    return 1 << int(math.log2(value))


class ThroughputEstimate(BaseModel):
    """Maximum output throughput of one TP group: no SLO, uniform requests (NVIDIA's published setting)."""

    model: str
    gpu: str
    tp: int
    precision: Precision
    isl: int
    osl: int
    requests: int | None
    """Requests in the run (None: a run long enough that its start and end do not matter)."""
    concurrency: int
    """Requests in flight (a full batch; a run's last wave may hold fewer)."""
    limited_by: Literal["kv-cache", "max-batch", "max-num-tokens", "requests"]
    kv_cache_tokens: int
    """KV-cache capacity of the group, tokens (each GPU holds its share of every token)."""
    weight_gib_per_gpu: float
    step_ms: float
    step_breakdown_ms: dict[str, float]
    output_tok_s_total: float
    """Output tokens per second of the whole TP group."""
    output_tok_s_per_gpu: float


class SizingResult(BaseModel):
    """A deployment sized for a workload and SLO, with its cost and the comparison against a hosted API."""

    model: str
    gpu: str
    tp: int
    precision: Precision
    requests_per_second: float
    input_tokens: int
    output_tokens: int
    ttft_p95_ms: float
    tpot_p95_ms: float
    concurrency_per_replica: int
    """Requests in flight per replica at the SLO."""
    prefill_chunk_tokens: int
    """Prompt tokens prefilled per iteration beside the decoding requests (chunked prefill)."""
    max_batch_size: int
    max_num_tokens: int
    """The server limits the plan was searched under (`server_limits`, emitted in the LLM-API options)."""
    predicted_ttft_ms: float
    predicted_tpot_ms: float
    requests_per_second_per_replica: float
    output_tok_s_per_replica: float
    """Throughput of one replica at the SLO."""
    replicas: int
    gpus: int
    instance_type: str
    replicas_per_node: int
    nodes: int
    capacity_type: CapacityType
    usd_per_hour: float
    usd_per_month: float
    usd_per_1m_output_tokens: float
    """Cost per million output tokens at the requested traffic."""
    hosted: str | None
    hosted_usd_per_month: float | None
    """What the same traffic costs on the hosted API."""
    break_even_requests_per_second: float | None
    """Request rate above which self-hosting is cheaper than the hosted API; None if it never is."""
    self_hosting_cheaper: bool | None


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise BlueprintError(message)


def _validate(model: ModelArch, gpu: Gpu, tp: int, precision: str, isl: int, osl: int) -> None:
    """Refuse combinations TensorRT-LLM cannot serve, naming the problem."""
    _require(
        precision in PRECISIONS,
        f"precision: unknown precision (got {precision!r}; allowed: {', '.join(PRECISIONS)})",
    )
    _require(
        precision in gpu.precisions,
        f"precision: {precision} is not supported by TensorRT-LLM on {gpu.name} "
        f"(got {precision!r}; allowed on {gpu.name}: {', '.join(gpu.precisions)})",
    )
    _require(
        tp >= 1 and tp & (tp - 1) == 0,
        f"tp: tensor-parallel size must be a power of two (got {tp}; allowed: 1, 2, 4, 8)",
    )
    largest = max(instances_for(gpu.name), key=lambda instance: instance.gpus)
    _require(
        tp <= largest.gpus,
        f"tp: {tp} GPUs exceed the largest {gpu.name} instance ({largest.name}, {largest.gpus} GPUs; "
        f"allowed: tp <= {largest.gpus})",
    )
    _require(isl >= 1 and osl >= 1, f"isl/osl: token counts must be >= 1 (got isl={isl}, osl={osl})")
    _require(
        isl + osl <= model.max_context,
        f"isl+osl: {isl + osl} tokens exceed {model.name}'s context of {model.max_context} tokens",
    )


def _fit(engine: Engine, sequence_tokens: int) -> None:
    """Weights plus the KV cache of one whole request must fit the group's GPU memory."""
    if engine.requests_in_cache(sequence_tokens) >= 1:
        return
    needed = (
        engine.weight_gib_per_gpu * engine.tp
        + kv_bytes_per_token(engine.model, engine.precision) * sequence_tokens / GIB
        + engine.calibration.reserved_gib * engine.tp
    )
    raise BlueprintError(
        f"tp: {engine.model.name} at {engine.precision} needs about {needed:.0f} GiB (weights "
        f"{engine.weight_gib_per_gpu * engine.tp:.0f} GiB + runtime + KV cache of one "
        f"{sequence_tokens}-token request) but tp={engine.tp} x {engine.gpu.name} gives "
        f"{engine.gpu_memory_gib * engine.tp:.0f} GiB "
        f"(got tp={engine.tp}; allowed: a larger tp, a smaller precision or a larger GPU)"
    )


def _engine(
    model: ModelArch,
    gpu: Gpu,
    tp: int,
    precision: Precision,
    gpu_memory_gib: float,
    calibration: Calibration = CALIBRATION,
    kv_cache_fraction: float | None = None,
    max_num_tokens: int = 8192,
) -> Engine:
    return Engine(
        model=model,
        gpu=gpu,
        tp=tp,
        precision=precision,
        gpu_memory_gib=gpu_memory_gib,
        kv_cache_fraction=calibration.kv_cache_fraction if kv_cache_fraction is None else kv_cache_fraction,
        calibration=calibration,
        max_num_tokens=max_num_tokens,
    )


def max_throughput(
    model: ModelArch,
    gpu: Gpu,
    tp: int,
    precision: Precision,
    isl: int,
    osl: int,
    calibration: Calibration = CALIBRATION,
    requests: int | None = None,
) -> ThroughputEstimate:
    """Output tokens/s of a TP group at the largest batch trtllm-bench would run (no SLO).

    With `requests`, the run is finite, as a trtllm-bench run is: its uniform requests enter in waves of a full
    batch (they start together and finish together) and the last wave holds the rest; a run with fewer requests
    than fit at once is one wave of all of them."""
    _validate(model, gpu, tp, precision, isl, osl)
    engine = _engine(model, gpu, tp, precision, gpu.memory_gib, calibration, calibration.bench_kv_cache_fraction)
    # trtllm-bench sizes max_num_tokens from the requests that fit; the engine reserves its activations for it.
    budget = _bench_max_num_tokens(min(engine.requests_in_cache(isl + osl), BENCH_MAX_BATCH), isl, osl)
    engine = _engine(
        model, gpu, tp, precision, gpu.memory_gib, calibration, calibration.bench_kv_cache_fraction, budget
    )
    _fit(engine, isl + osl)
    limits = {
        "kv-cache": engine.requests_in_cache(isl + osl),
        "max-batch": BENCH_MAX_BATCH,
        # Each iteration must also fit the prompt tokens that keep the batch full.
        "max-num-tokens": math.floor(BENCH_MAX_NUM_TOKENS / (1 + isl / osl)) or 1,
    }
    if requests is not None:
        _require(requests >= 1, f"requests: must be >= 1 (got {requests})")
        limits["requests"] = requests
    limited_by = min(limits, key=lambda name: limits[name])
    batch = limits[limited_by]
    step = engine.steady_step(batch, isl, osl)
    total = batch / step.total
    if requests is not None:
        total = requests * osl / _run_seconds(engine, batch, requests, isl, osl, budget)
    return ThroughputEstimate(
        model=model.name,
        gpu=gpu.name,
        tp=tp,
        precision=precision,
        isl=isl,
        osl=osl,
        requests=requests,
        concurrency=batch,
        limited_by=limited_by,
        kv_cache_tokens=engine.kv_cache_tokens,
        weight_gib_per_gpu=engine.weight_gib_per_gpu,
        step_ms=step.total * 1e3,
        step_breakdown_ms=step.breakdown_ms(),
        output_tok_s_total=total,
        output_tok_s_per_gpu=total / tp,
    )


def _run_seconds(engine: Engine, batch: int, requests: int, isl: int, osl: int, budget: int) -> float:
    """How long a trtllm-bench run of `requests` uniform requests takes with `batch` in flight at most.

    Uniform requests start and finish together, so the run goes in waves. The first wave's prompts enter through
    the per-iteration token budget (`budget`, trtllm-bench's max_num_tokens), so it lasts osl + its ramp
    iterations at a lower mean batch; later waves enter as the earlier ones leave and run the steady step for osl
    iterations (their prefill spread over them); the last holds the rest."""
    full_waves, rest = divmod(requests, batch)
    first = min(requests, batch)
    iterations = osl + first * isl / budget
    seconds = iterations * engine.step(first * osl / iterations, first * isl / iterations, isl + osl / 2, isl).total
    if full_waves >= 1:
        later = (full_waves - 1) * engine.steady_step(batch, isl, osl).total
        if rest:
            later += engine.steady_step(rest, isl, osl).total
        seconds += osl * later
    return seconds


@dataclass(frozen=True)
class _SloPoint:
    batch: int
    chunk: int
    ttft_s: float
    tpot_s: float
    osl: int

    @property
    def requests_per_second(self) -> float:
        # Little's law: requests in flight / time each spends in the system.
        return self.batch / (self.ttft_s + (self.osl - 1) * self.tpot_s)


def _slo_point(engine: Engine, batch: int, isl: int, osl: int, max_num_tokens: int) -> _SloPoint:
    """TPOT is a request's mean step (it averages over its own decode steps); TTFT waits out the iteration
    in flight, then prefills the prompt in chunks of what the token budget leaves beside the decoders."""
    tpot = engine.steady_step(batch, isl, osl).total
    chunk = min(isl, max(max_num_tokens - batch, 1))
    chunked_step = engine.step(batch, chunk, isl + osl / 2, isl).total
    ttft = (math.ceil(isl / chunk) + 1) * chunked_step
    return _SloPoint(batch=batch, chunk=chunk, ttft_s=ttft, tpot_s=tpot, osl=osl)


def _best_at_slo(
    engine: Engine, isl: int, osl: int, ttft_s: float, tpot_s: float, limits: ServerLimits
) -> _SloPoint:
    """The largest batch the server runs that meets both SLOs (both latencies grow with the batch: binary search)."""
    largest = min(engine.requests_in_cache(isl + osl), limits.max_batch_size)
    single = _slo_point(engine, 1, isl, osl, limits.max_num_tokens)
    _require(
        single.tpot_s <= tpot_s,
        f"tpot_p95_ms: {tpot_s * 1e3:g} ms cannot be met by {engine.model.name} on tp={engine.tp} x "
        f"{engine.gpu.name} at {engine.precision} (one request alone takes {single.tpot_s * 1e3:.1f} ms per "
        f"token; allowed: >= {math.ceil(single.tpot_s * 1e3)} ms, or a larger tp or faster GPU)",
    )
    _require(
        single.ttft_s <= ttft_s,
        f"ttft_p95_ms: {ttft_s * 1e3:g} ms cannot be met by {engine.model.name} on tp={engine.tp} x "
        f"{engine.gpu.name} for {isl}-token prompts (one request alone takes {single.ttft_s * 1e3:.0f} ms; "
        f"allowed: >= {math.ceil(single.ttft_s * 1e3)} ms, or a larger tp or faster GPU)",
    )
    low, high = 1, largest
    while low < high:
        middle = (low + high + 1) // 2
        point = _slo_point(engine, middle, isl, osl, limits.max_num_tokens)
        if point.tpot_s <= tpot_s and point.ttft_s <= ttft_s:
            low = middle
        else:
            high = middle - 1
    return _slo_point(engine, low, isl, osl, limits.max_num_tokens)


@dataclass(frozen=True)
class _Placement:
    instance: InstanceType
    point: _SloPoint
    replicas: int
    replicas_per_node: int
    nodes: int
    usd_per_hour: float


def _placements(
    model: ModelArch,
    gpu: Gpu,
    tp: int,
    precision: Precision,
    workload: tuple[float, int, int],
    slo: tuple[float, float],
    capacity_type: CapacityType,
    limits: ServerLimits,
) -> list[_Placement]:
    """Every instance type of the family that can hold a replica, with the nodes the traffic needs."""
    rps, isl, osl = workload
    placements = []
    for instance in instances_for(gpu.name):
        engine = _engine(model, gpu, tp, precision, instance.gpu_memory_gib, max_num_tokens=limits.max_num_tokens)
        if instance.gpus < tp or engine.requests_in_cache(isl + osl) < 1:
            continue
        point = _best_at_slo(engine, isl, osl, *slo, limits)
        replicas = max(1, math.ceil(rps / point.requests_per_second))
        per_node = instance.gpus // tp
        nodes = math.ceil(replicas / per_node)
        hourly = nodes * instance.usd_per_hour_for(capacity_type)
        placements.append(_Placement(instance, point, replicas, per_node, nodes, hourly))
    if not placements:
        # No instance of the family holds the model: report it with the family's largest GPU memory.
        largest = max(instances_for(gpu.name), key=lambda instance: instance.gpu_memory_gib)
        _fit(_engine(model, gpu, tp, precision, largest.gpu_memory_gib), isl + osl)
        raise BlueprintError(f"tp: no {gpu.name} instance with {tp} or more GPUs holds {model.name} (got tp={tp})")
    return placements


def _break_even(
    placements: list[_Placement], hosted: HostedModel, isl: int, osl: int, capacity_type: str
) -> float | None:
    """Lowest request rate at which one node of some instance type costs no more than the hosted API.

    Self-hosting costs whole nodes; the hosted API costs per request. A node pays off once the hosted bill for
    the traffic it carries reaches the node's price, which must happen before the node is full.
    """
    hosted_usd_per_request = hosted.usd_for(isl, osl)
    rates = []
    for placement in placements:
        node_usd_per_second = placement.instance.usd_per_hour_for(capacity_type) / 3600
        rate = node_usd_per_second / hosted_usd_per_request
        if rate <= placement.replicas_per_node * placement.point.requests_per_second:
            rates.append(rate)
    return min(rates, default=None)


def size_deployment(
    model: ModelArch,
    gpu: Gpu,
    tp: int,
    precision: Precision,
    requests_per_second: float,
    input_tokens: int,
    output_tokens: int,
    ttft_p95_ms: float,
    tpot_p95_ms: float,
    hosted: HostedModel | None = None,
    capacity_type: CapacityType = "on-demand",
) -> SizingResult:
    """Replicas, instances and cost to serve `requests_per_second` within the TTFT/TPOT SLOs.

    Picks the cheapest instance type of the GPU family for the whole fleet (replicas packed per node)."""
    _validate(model, gpu, tp, precision, input_tokens, output_tokens)
    _require(
        requests_per_second > 0,
        f"requests_per_second: must be > 0 (got {requests_per_second})",
    )
    _require(
        ttft_p95_ms > 0 and tpot_p95_ms > 0,
        f"ttft_p95_ms/tpot_p95_ms: SLOs must be > 0 (got {ttft_p95_ms}, {tpot_p95_ms})",
    )
    _require(
        capacity_type in CAPACITY_TYPES,
        f"capacity_type: unknown (got {capacity_type!r}; allowed: {', '.join(CAPACITY_TYPES)})",
    )
    workload = (requests_per_second, input_tokens, output_tokens)
    slo = (ttft_p95_ms / 1e3, tpot_p95_ms / 1e3)
    limits = server_limits(model, gpu, tp, precision, input_tokens, output_tokens)
    placements = _placements(model, gpu, tp, precision, workload, slo, capacity_type, limits)
    best = min(placements, key=lambda p: (p.usd_per_hour, p.nodes, p.instance.gpus))
    usd_per_month = best.usd_per_hour * HOURS_PER_MONTH
    output_tokens_per_month = requests_per_second * output_tokens * SECONDS_PER_MONTH
    hosted_usd_per_month = None
    if hosted:
        hosted_usd_per_month = hosted.usd_for(input_tokens, output_tokens) * requests_per_second * SECONDS_PER_MONTH
    return SizingResult(
        model=model.name,
        gpu=gpu.name,
        tp=tp,
        precision=precision,
        requests_per_second=requests_per_second,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        ttft_p95_ms=ttft_p95_ms,
        tpot_p95_ms=tpot_p95_ms,
        concurrency_per_replica=best.point.batch,
        prefill_chunk_tokens=best.point.chunk,
        max_batch_size=limits.max_batch_size,
        max_num_tokens=limits.max_num_tokens,
        predicted_ttft_ms=best.point.ttft_s * 1e3,
        predicted_tpot_ms=best.point.tpot_s * 1e3,
        requests_per_second_per_replica=best.point.requests_per_second,
        output_tok_s_per_replica=best.point.requests_per_second * output_tokens,
        replicas=best.replicas,
        gpus=best.replicas * tp,
        instance_type=best.instance.name,
        replicas_per_node=best.replicas_per_node,
        nodes=best.nodes,
        capacity_type=capacity_type,
        usd_per_hour=best.usd_per_hour,
        usd_per_month=usd_per_month,
        usd_per_1m_output_tokens=usd_per_month / output_tokens_per_month * 1e6,
        hosted=hosted.name if hosted else None,
        hosted_usd_per_month=hosted_usd_per_month,
        break_even_requests_per_second=(
            _break_even(placements, hosted, input_tokens, output_tokens, capacity_type) if hosted else None
        ),
        self_hosting_cheaper=None if hosted_usd_per_month is None else usd_per_month < hosted_usd_per_month,
    )
