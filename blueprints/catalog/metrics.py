"""The metric series each exporter the platform runs emits: names, types and labels, from upstream source.

One `Exporter` per scraped program, at the version blueprints/versions.py pins, citing the file and tag its
series come from. Names are exposition names, the way Prometheus stores them: a counter carries the `_total`
its client library adds (prometheus_client and client_golang do; prometheus-cpp, used by Triton, does not); a
histogram is read as `<name>_bucket` (label `le`), `<name>_count` and `<name>_sum`.

How a series reaches Prometheus adds labels (`Scrape`): prometheus-operator's PodMonitor and ServiceMonitor
relabelling attaches target labels, and an exporter label that collides with one is stored as `exported_<label>`
unless the monitor honours the exporter's labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

MetricType = Literal["counter", "gauge", "histogram", "summary"]
MonitorKind = Literal["PodMonitor", "ServiceMonitor"]

# prometheus-operator v0.93.0 (the operator kube-prometheus-stack 88.0.0 deploys) pkg/prometheus/promcfg.go:
# the relabellings generatePodMonitorConfig / generateServiceMonitorConfig add, plus Prometheus' own `instance`.
TARGET_LABELS: dict[MonitorKind, frozenset[str]] = {
    "PodMonitor": frozenset({"job", "instance", "namespace", "container", "pod", "endpoint"}),
    "ServiceMonitor": frozenset({"job", "instance", "namespace", "service", "pod", "container", "endpoint"}),
}


def prometheus_label(name: str) -> str:
    """A Kubernetes label key as prometheus-operator turns it into a label name (podTargetLabels, targetLabels):
    every character that is not a letter, digit or underscore becomes `_` (promcfg.go `sanitizeLabelName`)."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def le_label(bound: float) -> str:
    """A histogram bucket's `le` as prometheus_client writes it and Prometheus 3 stores it (1 -> "1.0")."""
    return repr(float(bound))


@dataclass(frozen=True)
class Metric:
    name: str
    type: MetricType
    labels: frozenset[str]
    label_prefixes: tuple[str, ...] = ()
    """Families whose label names are made at run time (kube-state-metrics' `label_<key>`)."""
    opt_in: str | None = None
    """The exporter emits it only when configured so (the option); None: by default."""

    def samples(self) -> dict[str, frozenset[str]]:
        """Sample name -> its label names (the exporter's own)."""
        if self.type == "histogram":
            return {f"{self.name}_bucket": self.labels | {"le"}, f"{self.name}_count": self.labels,
                    f"{self.name}_sum": self.labels}
        if self.type == "summary":
            return {self.name: self.labels | {"quantile"}, f"{self.name}_count": self.labels,
                    f"{self.name}_sum": self.labels}
        return {self.name: self.labels}


@dataclass(frozen=True)
class Scrape:
    monitor: MonitorKind
    honor_labels: bool = False
    """True: the exporter's labels win a collision (kube-state-metrics' ServiceMonitor in kube-prometheus-stack)."""


@dataclass(frozen=True)
class Exporter:
    name: str
    version: str
    source: str
    """Repository, tag and file the names, types and labels were read from."""
    scrape: Scrape
    metrics: tuple[Metric, ...]

    def metric(self, name: str) -> Metric:
        return next(metric for metric in self.metrics if metric.name == name)

    def stored_labels(self, labels: frozenset[str], extra: frozenset[str] = frozenset()) -> frozenset[str]:
        """The label names a series of this exporter has in Prometheus: its own (renamed `exported_` where they
        collide with a target label, unless honoured), the target labels, and `extra` (podTargetLabels)."""
        target = TARGET_LABELS[self.scrape.monitor] | extra
        own = labels if self.scrape.honor_labels else frozenset(
            f"exported_{label}" if label in target else label for label in labels)
        return own | target


def _metrics(kind: MetricType, labels: frozenset[str], *names: str) -> tuple[Metric, ...]:
    return tuple(Metric(name, kind, labels) for name in names)


def _labels(*names: str) -> frozenset[str]:
    return frozenset(names)


# ---- trtllm-serve ------------------------------------------------------------------------------------------------
# NVIDIA/TensorRT-LLM tensorrt_llm/metrics/collector.py (`MetricsCollector`, prefix `trtllm_`), the tag of the
# tensorrt-llm image in versions.py. Every series carries the collector's labels `model_name` and `engine_type`
# (tensorrt_llm/serve/openai_server.py). Request histograms need `return_perf_metrics: true`, iteration gauges
# `enable_iter_perf_stats: true` in the LLM API options. Served at `/prometheus/metrics`. (Read from a 2026
# snapshot of the file, commit 050f80d, whose families include those of PRs #12545 and #12636; re-read it at the
# tag whenever versions.py moves: tests/catalog/test_metrics.py fails until the version here matches.)
_TRTLLM = _labels("model_name", "engine_type")
TRTLLM_TTFT = "trtllm_time_to_first_token_seconds"
TRTLLM_TPOT = "trtllm_time_per_output_token_seconds"
TRTLLM_E2E = "trtllm_e2e_request_latency_seconds"
TRTLLM_QUEUE_TIME = "trtllm_request_queue_time_seconds"
TRTLLM_SUCCESS = "trtllm_request_success_total"
TRTLLM_ERRORS = "trtllm_request_error_total"
TRTLLM_PROMPT_TOKENS = "trtllm_prompt_tokens_total"
TRTLLM_GENERATION_TOKENS = "trtllm_generation_tokens_total"
TRTLLM_KV_CACHE_UTILIZATION = "trtllm_kv_cache_utilization"
"""Fraction 0..1 of KV-cache blocks in use (usedNumBlocks / maxNumBlocks)."""
TRTLLM_KV_CACHE_HIT_RATE = "trtllm_kv_cache_hit_rate"
TRTLLM_REQUESTS_WAITING = "trtllm_num_requests_waiting"
TRTLLM_REQUESTS_RUNNING = "trtllm_num_requests_running"

TRTLLM_TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
                       20.0, 40.0, 80.0, 160.0, 640.0, 2560.0)
TRTLLM_TPOT_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
                       40.0, 80.0)

TRTLLM_SERVE = Exporter(
    name="trtllm-serve", version="1.3.0rc24",
    source="NVIDIA/TensorRT-LLM v1.3.0rc24 tensorrt_llm/metrics/collector.py",
    scrape=Scrape("PodMonitor"),
    metrics=(
        Metric(TRTLLM_SUCCESS, "counter", _TRTLLM | {"finished_reason"}),
        Metric(TRTLLM_ERRORS, "counter", _TRTLLM | {"http_code"}),
        *_metrics("histogram", _TRTLLM, TRTLLM_E2E, TRTLLM_TTFT, TRTLLM_TPOT, TRTLLM_QUEUE_TIME,
                  "trtllm_request_prefill_time_seconds", "trtllm_request_decode_time_seconds",
                  "trtllm_request_inference_time_seconds", "trtllm_prompt_cached_tokens_per_request",
                  "trtllm_prefill_perplexity", "trtllm_generation_perplexity", "trtllm_prefill_batch_tokens"),
        *_metrics("counter", _TRTLLM, TRTLLM_PROMPT_TOKENS, TRTLLM_GENERATION_TOKENS,
                  "trtllm_prompt_cached_tokens_total", "trtllm_kv_cache_reused_blocks_total",
                  "trtllm_kv_cache_missed_blocks_total", "trtllm_kv_cache_iter_reused_blocks_total",
                  "trtllm_kv_cache_iter_full_reused_blocks_total", "trtllm_kv_cache_iter_partial_reused_blocks_total",
                  "trtllm_kv_cache_iter_missed_blocks_total", "trtllm_kv_cache_gen_alloc_blocks_total",
                  "trtllm_kv_cache_onboard_bytes_total", "trtllm_kv_cache_offload_bytes_total",
                  "trtllm_kv_cache_disk_prefetch_blocks_total", "trtllm_kv_cache_intra_device_copy_bytes_total",
                  "trtllm_num_requests_completed_total", "trtllm_spec_decode_num_draft_tokens_total",
                  "trtllm_spec_decode_num_accepted_tokens_total"),
        Metric("trtllm_prompt_cache_hit_tokens_total", "counter", _TRTLLM | {"cache_level", "cache_tier"}),
        *_metrics("counter", _TRTLLM | {"token_position"}, "trtllm_spec_decode_drafted_tokens_total",
                  "trtllm_spec_decode_accepted_tokens_total"),
        *_metrics("gauge", _TRTLLM, TRTLLM_KV_CACHE_HIT_RATE, TRTLLM_KV_CACHE_UTILIZATION,
                  "trtllm_kv_cache_host_utilization", "trtllm_kv_cache_iter_reuse_rate", TRTLLM_REQUESTS_RUNNING,
                  TRTLLM_REQUESTS_WAITING, "trtllm_max_num_active_requests", "trtllm_iteration_latency_seconds",
                  "trtllm_gpu_memory_usage_bytes", "trtllm_cpu_memory_usage_bytes",
                  "trtllm_pinned_memory_usage_bytes", "trtllm_max_batch_size_static",
                  "trtllm_max_batch_size_runtime", "trtllm_max_num_tokens_runtime", "trtllm_kv_cache_max_blocks",
                  "trtllm_kv_cache_free_blocks", "trtllm_kv_cache_used_blocks", "trtllm_kv_cache_tokens_per_block",
                  "trtllm_num_context_requests", "trtllm_num_generation_requests", "trtllm_num_paused_requests",
                  "trtllm_num_scheduled_requests", "trtllm_total_context_tokens",
                  "trtllm_avg_decoded_tokens_per_iter", "trtllm_spec_decode_acceptance_length",
                  "trtllm_spec_decode_draft_overhead", "trtllm_prefill_batch_occupancy"),
    ),
)

# ---- Triton Inference Server ------------------------------------------------------------------------------------
# triton-inference-server/core src/metrics.cc (families) and src/metric_model_reporter.cc + src/constants.h
# (labels `model`, `version`; `gpu_uuid` when the instance runs on a GPU; failures add `reason`), release branch
# of Triton 2.73.0 (NGC 26.09). Our image serves them through Triton's OpenAI frontend at `/metrics` on its port
# (9000; python/openai/openai_frontend/frontend/fastapi/routers/observability.py); prometheus-cpp adds no `_total`.
TRITON_PENDING_REQUESTS = "nv_inference_pending_request_count"
TRITON_REQUEST_SUCCESS = "nv_inference_request_success"
TRITON_REQUEST_FAILURE = "nv_inference_request_failure"
_TRITON = _labels("model", "version", "gpu_uuid")
TRITON = Exporter(
    name="triton", version="2.73.0",
    source="triton-inference-server/core r26.09 src/metrics.cc, src/metric_model_reporter.cc, src/constants.h",
    scrape=Scrape("PodMonitor"),
    metrics=(
        Metric(TRITON_REQUEST_FAILURE, "counter", _TRITON | {"reason"}),
        *_metrics("counter", _TRITON, TRITON_REQUEST_SUCCESS, "nv_inference_count", "nv_inference_exec_count",
                  "nv_inference_request_duration_us", "nv_inference_queue_duration_us",
                  "nv_inference_compute_input_duration_us", "nv_inference_compute_infer_duration_us",
                  "nv_inference_compute_output_duration_us", "nv_cache_num_hits_per_model",
                  "nv_cache_hit_duration_per_model", "nv_cache_num_misses_per_model",
                  "nv_cache_miss_duration_per_model"),
        *_metrics("gauge", _TRITON, TRITON_PENDING_REQUESTS, "nv_model_load_duration_secs"),
        Metric("nv_inference_first_response_histogram_ms", "histogram", _TRITON,
               opt_in="--metrics-config histogram_latencies=true"),
        *(Metric(name, "summary", _TRITON, opt_in="--metrics-config summary_latencies=true")
          for name in ("nv_inference_request_summary_us", "nv_inference_queue_summary_us",
                       "nv_inference_compute_input_summary_us", "nv_inference_compute_infer_summary_us",
                       "nv_inference_compute_output_summary_us")),
        *_metrics("gauge", _labels("gpu_uuid"), "nv_gpu_utilization", "nv_gpu_memory_total_bytes",
                  "nv_gpu_memory_used_bytes", "nv_gpu_power_usage", "nv_gpu_power_limit"),
        Metric("nv_energy_consumption", "counter", _labels("gpu_uuid")),
        *_metrics("gauge", _labels(), "nv_cpu_utilization", "nv_cpu_memory_total_bytes",
                  "nv_cpu_memory_used_bytes", "nv_pinned_memory_pool_total_bytes", "nv_pinned_memory_pool_used_bytes"),
    ),
)

# ---- LiteLLM proxy ----------------------------------------------------------------------------------------------
# BerriAI/litellm v1.81.16 litellm/integrations/prometheus.py (`PrometheusLogger.__init__`; label names from
# litellm/types/integrations/prometheus.py `PrometheusMetricLabels`), with no custom metadata labels configured.
# Served by the proxy at `/metrics/`.
LITELLM_REQUESTS = "litellm_proxy_total_requests_metric_total"
"""Every client request, labelled status_code and requested_model (the model group: the spec's model name)."""
LITELLM_FAILED_REQUESTS = "litellm_proxy_failed_requests_metric_total"
LITELLM_DEPLOYMENT_REQUESTS = "litellm_deployment_total_requests_total"
"""Calls to one backend (deployment) of a model group, successful or not, before fallbacks; labelled
requested_model and api_base (the deployment's URL: for a self-hosted model, its version's Service)."""
LITELLM_DEPLOYMENT_FAILURES = "litellm_deployment_failure_responses_total"
LITELLM_TTFT = "litellm_llm_api_time_to_first_token_metric"
"""Backend time to first token of streaming requests, labelled requested_model."""
LITELLM_LATENCY = "litellm_request_total_latency_metric"
LITELLM_FALLBACKS_OK = "litellm_deployment_successful_fallbacks_total"
LITELLM_FALLBACKS_FAILED = "litellm_deployment_failed_fallbacks_total"
LITELLM_SPEND = "litellm_spend_metric_total"
LITELLM_INPUT_TOKENS = "litellm_input_tokens_metric_total"
LITELLM_OUTPUT_TOKENS = "litellm_output_tokens_metric_total"
LITELLM_TOTAL_TOKENS = "litellm_total_tokens_metric_total"
LITELLM_CACHE_HITS = "litellm_cache_hits_metric_total"
LITELLM_CACHE_MISSES = "litellm_cache_misses_metric_total"
LITELLM_TEAM_BUDGET_REMAINING = "litellm_remaining_team_budget_metric"
LITELLM_TEAM_BUDGET_MAX = "litellm_team_max_budget_metric"
"""Gauges labelled team, team_alias: set after each request of a team's key (`_set_team_budget_metrics`; remaining
= max_budget - spend of the current period, +Inf without a budget) and, with `prometheus_initialize_budget_metrics`,
for every team of the database every 5 minutes (`initialize_budget_metrics_cron_job`). DB mode only."""
LITELLM_KEY_BUDGET_REMAINING = "litellm_remaining_api_key_budget_metric"
LITELLM_KEY_BUDGET_MAX = "litellm_api_key_max_budget_metric"
"""The same per virtual key, labelled hashed_api_key, api_key_alias."""

LITELLM_LATENCY_BUCKETS = (0.005, 0.00625, 0.0125, 0.025, 0.05, 0.1, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0,
                           5.5, 6.0, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0, 15.0, 20.0, 25.0, 30.0, 60.0, 120.0,
                           180.0, 240.0, 300.0)
"""litellm/types/integrations/prometheus.py `LATENCY_BUCKETS`."""

_KEY = ("hashed_api_key", "api_key_alias")
_TEAM = ("team", "team_alias")
_DEPLOYMENT = ("litellm_model_name", "model_id", "api_base", "api_provider")
_CLIENT = ("client_ip", "user_agent")
_USER = ("end_user", *_KEY, "team", "team_alias", "user")
LITELLM = Exporter(
    name="litellm", version="1.81.16",
    source="BerriAI/litellm v1.81.16 litellm/integrations/prometheus.py, litellm/types/integrations/prometheus.py",
    scrape=Scrape("PodMonitor"),
    metrics=(
        Metric(LITELLM_FAILED_REQUESTS, "counter", _labels(*_USER, "requested_model", "user_email",
                                                           "exception_status", "exception_class", "route",
                                                           *_CLIENT, "model_id")),
        Metric(LITELLM_REQUESTS, "counter", _labels(*_USER, "requested_model", "status_code", "user_email", "route",
                                                    *_CLIENT, "model_id")),
        Metric(LITELLM_LATENCY, "histogram", _labels(*_USER, "requested_model", "model", "model_id")),
        Metric("litellm_llm_api_latency_metric", "histogram", _labels(*_USER, "requested_model", "model",
                                                                      "model_id")),
        Metric(LITELLM_TTFT, "histogram", _labels(*_USER, "requested_model", "model", "model_id")),
        Metric(LITELLM_SPEND, "counter", _labels(*_USER, "model", "user_email", *_CLIENT, "model_id")),
        *_metrics("counter", _labels(*_USER, "model", "user_email", "requested_model", "model_id"),
                  LITELLM_TOTAL_TOKENS, LITELLM_INPUT_TOKENS, LITELLM_OUTPUT_TOKENS),
        *_metrics("gauge", _labels(*_TEAM), "litellm_remaining_team_budget_metric", "litellm_team_max_budget_metric",
                  "litellm_team_budget_remaining_hours_metric"),
        *_metrics("gauge", _labels(*_KEY), "litellm_remaining_api_key_budget_metric",
                  "litellm_api_key_max_budget_metric", "litellm_api_key_budget_remaining_hours_metric"),
        *_metrics("gauge", _labels("user"), "litellm_remaining_user_budget_metric", "litellm_user_max_budget_metric",
                  "litellm_user_budget_remaining_hours_metric"),
        *_metrics("gauge", _labels(*_KEY, "model", "model_id"), "litellm_remaining_api_key_requests_for_model",
                  "litellm_remaining_api_key_tokens_for_model"),
        *_metrics("gauge", _labels("model_group", *_DEPLOYMENT, *_KEY), "litellm_remaining_requests_metric",
                  "litellm_remaining_tokens_metric"),
        Metric("litellm_overhead_latency_metric", "histogram", _labels("model_group", *_DEPLOYMENT, *_KEY)),
        Metric("litellm_request_queue_time_seconds", "histogram", _labels(*_USER, "requested_model", "model",
                                                                          "model_id")),
        Metric("litellm_guardrail_latency_seconds", "histogram", _labels("guardrail_name", "status", "error_type",
                                                                         "hook_type")),
        Metric("litellm_guardrail_errors_total", "counter", _labels("guardrail_name", "error_type", "hook_type")),
        Metric("litellm_guardrail_requests_total", "counter", _labels("guardrail_name", "status", "hook_type")),
        Metric("litellm_provider_remaining_budget_metric", "gauge", _labels("api_provider")),
        *_metrics("gauge", _labels(*_DEPLOYMENT), "litellm_deployment_state", "litellm_deployment_tpm_limit",
                  "litellm_deployment_rpm_limit"),
        Metric("litellm_deployment_cooled_down_total", "counter", _labels(*_DEPLOYMENT, "exception_status")),
        *_metrics("counter", _labels("requested_model", *_DEPLOYMENT, *_KEY, *_TEAM, *_CLIENT),
                  "litellm_deployment_success_responses_total", LITELLM_DEPLOYMENT_REQUESTS),
        Metric(LITELLM_DEPLOYMENT_FAILURES, "counter", _labels("requested_model", *_DEPLOYMENT, "exception_status",
                                                               "exception_class", *_KEY, *_TEAM, *_CLIENT)),
        Metric("litellm_deployment_latency_per_output_token", "histogram", _labels(*_DEPLOYMENT, *_KEY, *_TEAM)),
        *_metrics("counter", _labels("requested_model", "fallback_model", *_KEY, *_TEAM, "exception_status",
                                     "exception_class", "model_id"),
                  LITELLM_FALLBACKS_OK, LITELLM_FALLBACKS_FAILED),
        Metric("litellm_callback_logging_failures_metric_total", "counter", _labels("callback_name")),
        Metric("litellm_llm_api_failed_requests_metric_total", "counter", _labels(*_USER, "model", "model_id")),
        Metric("litellm_requests_metric_total", "counter", _labels(*_USER, "model", "user_email", *_CLIENT,
                                                                   "model_id")),
        *_metrics("counter", _labels("model", *_KEY, *_TEAM, "end_user", "user", "model_id"), LITELLM_CACHE_HITS,
                  LITELLM_CACHE_MISSES, "litellm_cached_tokens_metric_total"),
        *_metrics("gauge", _labels(), "litellm_total_users", "litellm_teams_count"),
    ),
)

# ---- DCGM exporter ----------------------------------------------------------------------------------------------
# Fields and Prometheus types: the counters CSV of the dcgm-exporter chart 4.4.1 (templates/metrics-configmap.yaml,
# commented-out lines included: each names a DCGM field and the type the exporter gives it). Labels: the
# exporter's text template (NVIDIA/dcgm-exporter internal/pkg/rendermetrics/render_metrics.go) plus the pod
# mapping's `pod`, `namespace`, `container` (internal/pkg/transformation/kubernetes.go), tag 4.3.1-4.4.0, the
# release before the chart's image 4.3.1-4.4.1. Scraped through the chart's (or GPU operator's) ServiceMonitor.
DCGM_XID = "DCGM_FI_DEV_XID_ERRORS"
"""Value of the last XID error the driver reported on this GPU (0 = none)."""
DCGM_TEMP = "DCGM_FI_DEV_GPU_TEMP"
DCGM_FB_USED = "DCGM_FI_DEV_FB_USED"
DCGM_FB_FREE = "DCGM_FI_DEV_FB_FREE"
DCGM_GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL"
DCGM_POWER = "DCGM_FI_DEV_POWER_USAGE"
DCGM_ECC_DBE = "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL"
DCGM_ROW_REMAP_FAILURE = "DCGM_FI_DEV_ROW_REMAP_FAILURE"
DCGM_TENSOR_ACTIVE = "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"
DCGM_SM_ACTIVE = "DCGM_FI_PROF_SM_ACTIVE"
DCGM_DRAM_ACTIVE = "DCGM_FI_PROF_DRAM_ACTIVE"
_DCGM = _labels("gpu", "UUID", "pci_bus_id", "device", "modelName", "Hostname", "GPU_I_PROFILE", "GPU_I_ID",
                "pod", "namespace", "container")
_DCGM_FIELDS: tuple[tuple[str, MetricType], ...] = (
    ("DCGM_FI_DEV_SM_CLOCK", "gauge"), ("DCGM_FI_DEV_MEM_CLOCK", "gauge"), ("DCGM_FI_DEV_MEMORY_TEMP", "gauge"),
    (DCGM_TEMP, "gauge"), (DCGM_POWER, "gauge"), ("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "counter"),
    ("DCGM_FI_PROF_PCIE_TX_BYTES", "counter"), ("DCGM_FI_PROF_PCIE_RX_BYTES", "counter"),
    ("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "counter"), (DCGM_GPU_UTIL, "gauge"), ("DCGM_FI_DEV_MEM_COPY_UTIL", "gauge"),
    ("DCGM_FI_DEV_ENC_UTIL", "gauge"), ("DCGM_FI_DEV_DEC_UTIL", "gauge"), (DCGM_XID, "gauge"),
    ("DCGM_FI_DEV_POWER_VIOLATION", "counter"), ("DCGM_FI_DEV_THERMAL_VIOLATION", "counter"),
    ("DCGM_FI_DEV_SYNC_BOOST_VIOLATION", "counter"), ("DCGM_FI_DEV_BOARD_LIMIT_VIOLATION", "counter"),
    ("DCGM_FI_DEV_LOW_UTIL_VIOLATION", "counter"), ("DCGM_FI_DEV_RELIABILITY_VIOLATION", "counter"),
    (DCGM_FB_FREE, "gauge"), (DCGM_FB_USED, "gauge"), ("DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", "counter"),
    (DCGM_ECC_DBE, "counter"), ("DCGM_FI_DEV_ECC_SBE_AGG_TOTAL", "counter"),
    ("DCGM_FI_DEV_ECC_DBE_AGG_TOTAL", "counter"), ("DCGM_FI_DEV_RETIRED_SBE", "counter"),
    ("DCGM_FI_DEV_RETIRED_DBE", "counter"), ("DCGM_FI_DEV_RETIRED_PENDING", "counter"),
    ("DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL", "counter"),
    ("DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL", "counter"),
    ("DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL", "counter"),
    ("DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL", "counter"), ("DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL", "counter"),
    ("DCGM_FI_DEV_NVLINK_BANDWIDTH_L0", "counter"), ("DCGM_FI_DEV_VGPU_LICENSE_STATUS", "gauge"),
    ("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", "counter"), ("DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", "counter"),
    (DCGM_ROW_REMAP_FAILURE, "gauge"), ("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "gauge"), (DCGM_SM_ACTIVE, "gauge"),
    ("DCGM_FI_PROF_SM_OCCUPANCY", "gauge"), (DCGM_TENSOR_ACTIVE, "gauge"), (DCGM_DRAM_ACTIVE, "gauge"),
    ("DCGM_FI_PROF_PIPE_FP64_ACTIVE", "gauge"), ("DCGM_FI_PROF_PIPE_FP32_ACTIVE", "gauge"),
    ("DCGM_FI_PROF_PIPE_FP16_ACTIVE", "gauge"),
)
DCGM_EXPORTER = Exporter(
    name="dcgm-exporter", version="4.4.1",
    source="NVIDIA/dcgm-exporter chart 4.4.1 templates/metrics-configmap.yaml; labels: tag 4.3.1-4.4.0 "
    "internal/pkg/rendermetrics/render_metrics.go, internal/pkg/transformation/kubernetes.go",
    scrape=Scrape("ServiceMonitor"),
    metrics=tuple(Metric(field, kind, _DCGM) for field, kind in _DCGM_FIELDS),
)

# ---- KEDA -------------------------------------------------------------------------------------------------------
# kedacore/keda v2.20.2 pkg/metricscollector/prommetrics.go (operator, `/metrics` on 8080; client_golang), and
# the gRPC metrics service the metrics server reads from the operator (`newPromServerMetrics`: go-grpc-middleware
# providers/prometheus server metrics under the namespace `keda_internal_metricsservice`).
KEDA_SCALER_ERRORS = "keda_scaler_detail_errors_total"
_KEDA_SCALER = _labels("namespace", "metric", "scaledObject", "scaler", "triggerIndex", "type")
_GRPC = _labels("grpc_type", "grpc_service", "grpc_method")
KEDA = Exporter(
    name="keda", version="2.20.2", source="kedacore/keda v2.20.2 pkg/metricscollector/prommetrics.go",
    scrape=Scrape("PodMonitor"),
    metrics=(
        Metric("keda_build_info", "gauge", _labels("version", "git_commit", "goversion", "goos", "goarch")),
        *_metrics("gauge", _KEDA_SCALER, "keda_scaler_metrics_value", "keda_scaler_metrics_latency_seconds",
                  "keda_scaler_active"),
        Metric(KEDA_SCALER_ERRORS, "counter", _KEDA_SCALER),
        Metric("keda_scaled_object_paused", "gauge", _labels("namespace", "scaledObject")),
        Metric("keda_scaled_object_errors_total", "counter", _labels("namespace", "scaledObject")),
        Metric("keda_scaled_job_errors_total", "counter", _labels("namespace", "scaledJob")),
        Metric("keda_scaler_empty_upstream_responses_total", "counter",
               _labels("namespace", "scaledResource", "triggerName", "metricName", "resourceType",
                       "ignoreNullValues")),
        Metric("keda_trigger_registered_total", "gauge", _labels("type")),
        Metric("keda_resource_registered_total", "gauge", _labels("type", "namespace")),
        Metric("keda_internal_scale_loop_latency_seconds", "gauge", _labels("namespace", "type", "resource")),
        Metric("keda_cloudeventsource_events_emitted_total", "counter",
               _labels("namespace", "cloudeventsource", "eventsink", "state")),
        Metric("keda_cloudeventsource_events_queued", "gauge", _labels("namespace")),
        Metric("keda_scaler_http_requests_total", "counter",
               _labels("namespace", "scaled_resource", "scaler", "trigger_name", "metric_name", "status_code")),
        Metric("keda_scaler_http_request_duration_seconds", "histogram", _labels("scaler", "status_code")),
        *_metrics("counter", _GRPC, "keda_internal_metricsservice_grpc_server_started_total",
                  "keda_internal_metricsservice_grpc_server_msg_received_total",
                  "keda_internal_metricsservice_grpc_server_msg_sent_total"),
        Metric("keda_internal_metricsservice_grpc_server_handled_total", "counter", _GRPC | {"grpc_code"}),
        Metric("keda_internal_metricsservice_grpc_server_handling_seconds", "histogram", _GRPC),
    ),
)

# ---- Karpenter --------------------------------------------------------------------------------------------------
# kubernetes-sigs/karpenter v1.14.1 (the core the AWS provider v1.14.1 builds on): pkg/metrics/constants.go and
# metrics.go, pkg/cloudprovider/metrics/cloudprovider.go, pkg/controllers/metrics/nodepool/controller.go.
KARPENTER_CLOUDPROVIDER_ERRORS = "karpenter_cloudprovider_errors_total"
KARPENTER_NODEPOOL_USAGE = "karpenter_nodepools_usage"
KARPENTER_NODEPOOL_LIMIT = "karpenter_nodepools_limit"
"""Labels `nodepool` and `resource_type` (the resource name lower-cased, `-` -> `_`: `nvidia.com/gpu`)."""
KARPENTER_NODECLAIMS_CREATED = "karpenter_nodeclaims_created_total"
KARPENTER = Exporter(
    name="karpenter", version="1.14.1",
    source="kubernetes-sigs/karpenter v1.14.1 pkg/metrics/metrics.go, pkg/cloudprovider/metrics/cloudprovider.go, "
    "pkg/controllers/metrics/nodepool/controller.go",
    scrape=Scrape("PodMonitor"),
    metrics=(
        Metric("karpenter_cloudprovider_duration_seconds", "histogram", _labels("controller", "method", "provider")),
        Metric(KARPENTER_CLOUDPROVIDER_ERRORS, "counter", _labels("controller", "method", "provider", "error")),
        *_metrics("gauge", _labels("resource_type", "nodepool"), KARPENTER_NODEPOOL_LIMIT, KARPENTER_NODEPOOL_USAGE),
        Metric(KARPENTER_NODECLAIMS_CREATED, "counter", _labels("reason", "nodepool", "min_values_relaxed")),
        Metric("karpenter_nodes_created_total", "counter", _labels("nodepool", "zone")),
    ),
)

# ---- kube-state-metrics -----------------------------------------------------------------------------------------
# kube-prometheus-stack 88.0.0 -> kube-state-metrics chart 8.0.0 -> appVersion 2.19.1:
# kubernetes/kube-state-metrics v2.19.1 internal/store/node.go. `kube_node_labels` carries `label_<key>` for each
# node label key in the chart's `metricLabelsAllowlist` (key sanitised like prometheus_label). The chart's
# ServiceMonitor honours the exporter's labels.
KSM_NODE_LABELS = "kube_node_labels"
KUBE_STATE_METRICS = Exporter(
    name="kube-state-metrics", version="2.19.1", source="kubernetes/kube-state-metrics v2.19.1 internal/store/node.go",
    scrape=Scrape("ServiceMonitor", honor_labels=True),
    metrics=(
        Metric(KSM_NODE_LABELS, "gauge", _labels("node"), label_prefixes=("label_",)),
        Metric("kube_node_created", "gauge", _labels("node")),
        Metric("kube_node_spec_unschedulable", "gauge", _labels("node")),
        Metric("kube_node_role", "gauge", _labels("node", "role")),
        Metric("kube_node_spec_taint", "gauge", _labels("node", "key", "value", "effect")),
        Metric("kube_node_status_addresses", "gauge", _labels("node", "type", "address")),
        Metric("kube_node_status_condition", "gauge", _labels("node", "condition", "status")),
    ),
)

# ---- retrieval service (ours) ------------------------------------------------------------------------------------
# blueprints/retrieval/metrics.py of this repository (the image's runtime modules): its own text exposition, names
# and labels tested against what the service writes (tests/retrieval/test_observability.py).
RAG_STAGE_SECONDS = "blueprints_rag_stage_seconds"
"""Histogram, label `stage`: embedding, search, rerank, assembly."""
RAG_QUERIES = "blueprints_rag_queries_total"
RAG_FRESHNESS = "blueprints_rag_index_freshness_seconds"
RAG_STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

RETRIEVAL_SERVICE = Exporter(
    name="retrieval-service",
    version="1",
    source="this repository, blueprints/retrieval/metrics.py",
    scrape=Scrape("PodMonitor"),
    metrics=(
        Metric(RAG_STAGE_SECONDS, "histogram", _labels("stage")),
        Metric(RAG_QUERIES, "counter", _labels("outcome")),
        Metric(RAG_FRESHNESS, "gauge", _labels("index")),
    ),
)

# ---- the gateway's quality callback (ours) ----------------------------------------------------------------------
# blueprints/feedback/litellm_quality.py of this repository, on the LiteLLM proxy's own /metrics (scraped with the
# gateway's series); names and labels tested against what the real proxy exposes (tests/feedback/).
QUALITY_ANSWERS = "blueprints_answers_total"
QUALITY_REFUSALS = "blueprints_answer_refusals_total"
QUALITY_OUTPUT_TOKENS = "blueprints_answer_output_tokens"
QUALITY_JSON_ANSWERS = "blueprints_json_answers_total"
"""Label `valid`: "true" / "false", answers to a JSON response_format request."""
_QUALITY = _labels("model_group", "version")

GATEWAY_QUALITY = Exporter(
    name="gateway-quality",
    version="1",
    source="this repository, blueprints/feedback/litellm_quality.py",
    scrape=Scrape("PodMonitor"),
    metrics=(
        *_metrics("counter", _QUALITY, QUALITY_ANSWERS, QUALITY_REFUSALS),
        Metric(QUALITY_OUTPUT_TOKENS, "histogram", _QUALITY),
        Metric(QUALITY_JSON_ANSWERS, "counter", _QUALITY | {"valid"}),
    ),
)

# ---- the feedback service and its quality worker (ours) ---------------------------------------------------------
# blueprints/feedback/api.py and blueprints/feedback/quality.py of this repository (images/feedback-api); names and
# labels tested against what the running service and worker expose (tests/feedback/).
FEEDBACK_RATINGS = "blueprints_feedback_total"
"""Label `rating`: "up" / "down"; `variant`: the A/B `<experiment>/<variant>` or ""."""
PROMPT_CLUSTERS = "blueprints_prompt_cluster_total"
"""Sampled prompts by nearest drift centroid (`cluster`: c0..c<K-1>, every one present from a group's first prompt)."""
JUDGE_SCORE = "blueprints_judge_score"
JUDGE_FAILURES = "blueprints_judge_failures_total"

FEEDBACK_SERVICE = Exporter(
    name="feedback-service",
    version="1",
    source="this repository, blueprints/feedback/api.py and blueprints/feedback/quality.py",
    scrape=Scrape("PodMonitor"),
    metrics=(
        Metric(FEEDBACK_RATINGS, "counter", _QUALITY | {"variant", "rating"}),
        Metric(PROMPT_CLUSTERS, "counter", _labels("model_group", "cluster")),
        Metric(JUDGE_SCORE, "histogram", _QUALITY),
        Metric(JUDGE_FAILURES, "counter", _QUALITY),
    ),
)

EXPORTERS: tuple[Exporter, ...] = (TRTLLM_SERVE, TRITON, LITELLM, GATEWAY_QUALITY, DCGM_EXPORTER, KEDA, KARPENTER,
                                   KUBE_STATE_METRICS, RETRIEVAL_SERVICE, FEEDBACK_SERVICE)
