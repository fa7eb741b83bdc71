"""The metrics the rules and dashboards are built on: names, labels and histogram buckets, each from its source.

Sources (checked 2026-11):
- trtllm-serve `/prometheus/metrics`: NVIDIA/TensorRT-LLM `tensorrt_llm/metrics/collector.py` (`MetricsCollector`,
  prefix `trtllm_`, labels `model_name`, `engine_type`). Request histograms need `return_perf_metrics: true` and the
  iteration gauges (queue, KV cache) `enable_iter_perf_stats: true` in the LLM API options.
- LiteLLM proxy `/metrics/`: BerriAI/litellm v1.81.16 `litellm/integrations/prometheus.py` and
  `litellm/types/integrations/prometheus.py` (counters get the `_total` suffix from prometheus_client).
- DCGM exporter field names: NVIDIA/dcgm-exporter `etc/dcp-metrics-included.csv`.
- Karpenter: karpenter.sh/docs/reference/metrics (v1.x). KEDA: keda.sh/docs/2.20/integrations/prometheus.
"""

from __future__ import annotations

# The model a series belongs to. Serving pods carry the spec's model name in the pod label `blueprints.io/model`,
# which their PodMonitors (blueprints.serving.manifests) copy onto every trtllm series as `blueprints_io_model`;
# gateway series carry it as `requested_model` (the LiteLLM model group, which is the spec's model name). Rules and
# alerts name it `model`.
SERVED_MODEL_LABEL = "blueprints_io_model"
GATEWAY_MODEL_LABEL = "requested_model"
MODEL_LABEL = "model"

# trtllm-serve
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

# LiteLLM proxy
LITELLM_REQUESTS = "litellm_proxy_total_requests_metric_total"
"""Every client request, labelled status_code, requested_model, hashed_api_key, api_key_alias, team, ..."""
LITELLM_FAILED_REQUESTS = "litellm_proxy_failed_requests_metric_total"
LITELLM_DEPLOYMENT_REQUESTS = "litellm_deployment_total_requests_total"
"""Calls to one backend (deployment) of a model group, before fallbacks; labelled requested_model."""
LITELLM_DEPLOYMENT_FAILURES = "litellm_deployment_failure_responses_total"
LITELLM_TTFT = "litellm_llm_api_time_to_first_token_metric"
"""Backend time to first token of streaming requests, labelled requested_model."""
LITELLM_LATENCY = "litellm_request_total_latency_metric"
LITELLM_LATENCY_PER_OUTPUT_TOKEN = "litellm_deployment_latency_per_output_token"
LITELLM_FALLBACKS_OK = "litellm_deployment_successful_fallbacks_total"
LITELLM_FALLBACKS_FAILED = "litellm_deployment_failed_fallbacks_total"
LITELLM_SPEND = "litellm_spend_metric_total"
LITELLM_INPUT_TOKENS = "litellm_input_tokens_metric_total"
LITELLM_OUTPUT_TOKENS = "litellm_output_tokens_metric_total"
LITELLM_TOTAL_TOKENS = "litellm_total_tokens_metric_total"
LITELLM_CACHE_HITS = "litellm_cache_hits_metric_total"
LITELLM_CACHE_MISSES = "litellm_cache_misses_metric_total"

LITELLM_LATENCY_BUCKETS = (0.005, 0.00625, 0.0125, 0.025, 0.05, 0.1, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0,
                           5.5, 6.0, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0, 15.0, 20.0, 25.0, 30.0, 60.0, 120.0,
                           180.0, 240.0, 300.0)

# DCGM exporter
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

# Karpenter and KEDA
KARPENTER_CLOUDPROVIDER_ERRORS = "karpenter_cloudprovider_errors_total"
KARPENTER_NODEPOOL_USAGE = "karpenter_nodepools_usage"
KARPENTER_NODEPOOL_LIMIT = "karpenter_nodepools_limit"
KARPENTER_NODECLAIMS_CREATED = "karpenter_nodeclaims_created_total"
KEDA_SCALER_ERRORS = "keda_scaler_detail_errors_total"

# kube-state-metrics (node labels need the chart's metricLabelsAllowlist)
KSM_NODE_LABELS = "kube_node_labels"


def le_label(bound: float) -> str:
    """A histogram bucket's `le` as prometheus_client writes it and Prometheus 3 stores it (1 -> "1.0")."""
    return repr(float(bound))


def interpolated_good(buckets: tuple[float, ...], threshold_seconds: float) -> list[tuple[float, float]]:
    """(bucket bound, weight) pairs whose weighted sum estimates the count of events <= the threshold.

    Exact when the threshold is a bucket bound; between two bounds, linear interpolation (the same assumption
    `histogram_quantile` makes). A threshold past the largest finite bucket cannot be measured: that is an error.
    """
    if any(abs(bound - threshold_seconds) < 1e-12 for bound in buckets):
        return [(next(b for b in buckets if abs(b - threshold_seconds) < 1e-12), 1.0)]
    above = [bound for bound in buckets if bound > threshold_seconds]
    if not above:
        raise ValueError(
            f"threshold {threshold_seconds * 1000:g} ms is above the largest histogram bucket "
            f"({buckets[-1] * 1000:g} ms)"
        )
    hi = min(above)
    below = [bound for bound in buckets if bound < threshold_seconds]
    lo = max(below) if below else 0.0
    fraction = (threshold_seconds - lo) / (hi - lo)
    pairs = [(hi, fraction)]
    if below:
        pairs.insert(0, (lo, 1.0 - fraction))
    return pairs
