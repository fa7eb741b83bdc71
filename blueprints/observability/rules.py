"""Prometheus recording and alerting rules generated from the spec: SLO burn rates, GPU health, capacity, cost.

`rule_files(spec)` returns plain rule files (`{"groups": [...]}`) keyed by file name; the Observability component
deploys each as a PrometheusRule (or an AMP rule-group namespace) and tests run promtool on them.

SLOs follow the multi-window, multi-burn-rate recipe of the Google SRE workbook (chapter "Alerting on SLOs"):
every SLI is the ratio of bad events to all events over a window; an alert fires when both its long and its short
window burn the error budget faster than the factor (14.4x over 1h/5m and 6x over 6h/30m page; 1x over 3d/6h files
a ticket). Latency SLIs count a request as good when it is at or under the SLO's threshold, read from histogram
buckets; the error budget of a p95 threshold is 5% of requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from blueprints.catalog import metrics as m
from blueprints.catalog.instances import INSTANCES, SPOT_PRICE_FRACTION, instances_for
from blueprints.observability.series import (
    GATEWAY_MODEL_LABEL,
    KSM_NODE_LABEL_KEYS,
    MODEL_LABEL,
    SERVED_MODEL_LABEL,
    ksm_node_label,
    retrieval_service,
)
from blueprints.spec import PlatformSpec

Rule = dict[str, Any]
Severity = Literal["critical", "warning"]
SloKind = Literal["ttft", "tpot", "availability", "errors"]

RUNBOOKS = "docs/runbooks.md"
LATENCY_PERCENTILE_BUDGET = 0.05
"""The SLOs state 95th-percentile latencies: 5% of requests may be slower."""
HOURS_PER_MONTH = 730

# Operational thresholds that no spec field states; each with the reason for its value.
GPU_TEMP_CELSIUS = 85
"""Data-centre GPUs (H100/H200/L40S) start clock throttling in the high 80s C."""
KV_CACHE_SATURATED = 0.9
"""Above 90% KV-cache blocks in use, new requests wait or running ones are preempted."""
NODEPOOL_LIMIT_NEAR = 0.9
"""At 90% of a NodePool's GPU limit, the next scale-out may not fit."""


@dataclass(frozen=True)
class BurnWindow:
    long: str
    short: str
    factor: float
    severity: Severity


BURN_WINDOWS = (
    BurnWindow("1h", "5m", 14.4, "critical"),
    BurnWindow("6h", "30m", 6.0, "critical"),
    BurnWindow("3d", "6h", 1.0, "warning"),
)
SLI_WINDOWS = ("5m", "30m", "1h", "6h", "3d")
SLI_RECORD = "slo:sli_error:ratio_rate"


@dataclass(frozen=True)
class Sli:
    """One SLI of one model: the PromQL of its bad-event ratio over a window, and its objective."""

    kind: SloKind
    model: str
    objective: float
    source: str
    """Human-readable: where the events are counted."""
    bad_ratio: str
    """PromQL with `{window}` where the range goes."""

    @property
    def budget(self) -> float:
        return 1.0 - self.objective


ALERT_NAMES: dict[SloKind, str] = {
    "ttft": "ModelTTFTBudgetBurn",
    "tpot": "ModelTPOTBudgetBurn",
    "availability": "ModelAvailabilityBudgetBurn",
    "errors": "ModelErrorBudgetBurn",
}
SLO_TITLES: dict[SloKind, str] = {
    "ttft": "time to first token",
    "tpot": "time per output token",
    "availability": "availability",
    "errors": "backend error ratio",
}


def number(value: float) -> str:
    """A float as PromQL reads it, without binary noise (14.4 * 0.05 -> 0.72)."""
    return f"{value:.10g}"


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


def _selector(**labels: str) -> str:
    return "{" + ",".join(f'{key}="{value}"' for key, value in labels.items()) + "}"


def _latency_bad_ratio(histogram: str, buckets: tuple[float, ...], threshold_ms: float, **labels: str) -> str:
    """1 - (requests at or under the threshold / all requests), from a histogram's buckets."""
    terms = []
    for bound, weight in interpolated_good(buckets, threshold_ms / 1000):
        series = f"sum(rate({histogram}_bucket{_selector(**labels, le=m.le_label(bound))}[{{window}}]))"
        terms.append(series if weight == 1.0 else f"{series} * {number(weight)}")
    good = " + ".join(terms)
    return f"1 - (({good}) / sum(rate({histogram}_count{_selector(**labels)}[{{window}}])))"


def _counter_ratio(bad: str, total: str) -> str:
    """Bad events / all events; no bad series at all reads as 0, no events at all as no data."""
    return f"(sum(rate({bad}[{{window}}])) or vector(0)) / sum(rate({total}[{{window}}]))"


def slis(spec: PlatformSpec) -> list[Sli]:
    """Every SLI of every model. Latency of models trtllm-serve serves is read at the server; the time to first
    token of other models (Bedrock, or self-hosted on Triton, whose default metrics have no latency histogram) at
    the gateway. LiteLLM records no per-request time per output token (its per-token latency divides the whole
    latency by the output tokens), so TPOT is an SLI of trtllm-serve models only."""
    result: list[Sli] = []
    for model in spec.serving.models:
        gateway = {GATEWAY_MODEL_LABEL: model.name}
        if model.hosting == "self-hosted" and spec.serving.engine == "trtllm-serve":
            served = {SERVED_MODEL_LABEL: model.name}
            result.append(Sli("ttft", model.name, 1 - LATENCY_PERCENTILE_BUDGET, "trtllm-serve",
                              _latency_bad_ratio(m.TRTLLM_TTFT, m.TRTLLM_TTFT_BUCKETS, model.slo.ttft_p95_ms,
                                                 **served)))
            result.append(Sli("tpot", model.name, 1 - LATENCY_PERCENTILE_BUDGET, "trtllm-serve",
                              _latency_bad_ratio(m.TRTLLM_TPOT, m.TRTLLM_TPOT_BUCKETS, model.slo.tpot_p95_ms,
                                                 **served)))
        else:
            result.append(Sli("ttft", model.name, 1 - LATENCY_PERCENTILE_BUDGET, "the gateway (streaming requests)",
                              _latency_bad_ratio(m.LITELLM_TTFT, m.LITELLM_LATENCY_BUCKETS, model.slo.ttft_p95_ms,
                                                 **gateway)))
        result.append(Sli(
            "availability", model.name, model.slo.availability, "the gateway (5xx answers to clients)",
            _counter_ratio(m.LITELLM_REQUESTS + _selector(**gateway).replace("}", ',status_code=~"5.."}'),
                           m.LITELLM_REQUESTS + _selector(**gateway)),
        ))
        result.append(Sli(
            "errors", model.name, 1 - model.slo.max_error_ratio, "the gateway (failed backend calls)",
            _counter_ratio(m.LITELLM_DEPLOYMENT_FAILURES + _selector(**gateway),
                           m.LITELLM_DEPLOYMENT_REQUESTS + _selector(**gateway)),
        ))
    return result


def _alert(name: str, expr: str, severity: Severity, summary: str, description: str, for_: str | None = None,
           **labels: str) -> Rule:
    rule: Rule = {"alert": name, "expr": expr}
    if for_:
        rule["for"] = for_
    rule["labels"] = {"severity": severity, **labels}
    rule["annotations"] = {"summary": summary, "description": description,
                           "runbook_url": f"{RUNBOOKS}#{name.lower()}"}
    return rule


def _slo_groups(spec: PlatformSpec) -> list[dict[str, Any]]:
    records: list[Rule] = []
    alerts: list[Rule] = []
    for sli in slis(spec):
        labels = {"model": sli.model, "slo": sli.kind}
        for window in SLI_WINDOWS:
            records.append({"record": SLI_RECORD + window, "expr": sli.bad_ratio.replace("{window}", window),
                            "labels": dict(labels)})
        for burn in BURN_WINDOWS:
            threshold = burn.factor * sli.budget
            if threshold >= 1:
                continue  # a ratio never exceeds 1: this burn rate cannot be observed for so loose an objective
            long_, short = (f"{SLI_RECORD}{window}{_selector(**labels)}" for window in (burn.long, burn.short))
            alerts.append(_alert(
                ALERT_NAMES[sli.kind],
                f"{long_} > {number(threshold)} and {short} > {number(threshold)}",
                burn.severity,
                f"{sli.model}: {SLO_TITLES[sli.kind]} error budget burning {number(burn.factor)}x too fast",
                f"Over {burn.long} (and still over {burn.short}) {{{{ $value | humanizePercentage }}}} of "
                f"{sli.model}'s requests missed the {SLO_TITLES[sli.kind]} objective (measured at {sli.source}); "
                f"the objective allows {number(sli.budget * 100)}%. At this rate the 30-day budget lasts "
                f"{30 / burn.factor:.2g} days.",
                burn_window=f"{burn.long}/{burn.short}", model=sli.model, slo=sli.kind,
            ))
    return [{"name": "slo-sli", "rules": records}, {"name": "slo-burn-rate", "rules": alerts}]


def per_model(aggregation: str, metric: str) -> str:
    """Aggregate a trtllm series per model, under the alert label `model`."""
    relabelled = f'label_replace({metric}, "{MODEL_LABEL}", "$1", "{SERVED_MODEL_LABEL}", "(.+)")'
    return f"{aggregation} by ({MODEL_LABEL}) ({relabelled})"


def _triton_serving_group() -> dict[str, Any]:
    """Triton has no KV-cache gauge and no running-requests gauge: only its queue (pending requests)."""
    waiting = per_model("sum", m.TRITON_PENDING_REQUESTS)
    return {"name": "serving", "rules": [
        _alert(
            "ModelQueueGrowing", f"{waiting} > 0 and deriv({waiting}[15m:1m]) > 0",
            "warning", "{{ $labels.model }}: request queue is growing",
            "Requests are waiting in Triton's queues and the queue has grown for 10 minutes: demand exceeds the "
            "replicas' capacity and time to first token will follow.",
            for_="10m",
        ),
    ]}


def _serving_group(engine: str) -> dict[str, Any]:
    if engine == "triton":
        return _triton_serving_group()
    waiting = per_model("sum", m.TRTLLM_REQUESTS_WAITING)
    return {"name": "serving", "rules": [
        _alert(
            "ModelKVCacheSaturated",
            f"{per_model('avg', m.TRTLLM_KV_CACHE_UTILIZATION)} > {number(KV_CACHE_SATURATED)}",
            "warning", "{{ $labels.model }}: KV cache {{ $value | humanizePercentage }} full",
            "The model's replicas have used more than "
            f"{number(KV_CACHE_SATURATED * 100)}% of their KV-cache blocks for 10 minutes: new requests wait and "
            "long ones may be preempted. The autoscaler should be adding replicas.",
            for_="10m",
        ),
        _alert(
            "ModelQueueGrowing",
            f"{waiting} > {per_model('sum', m.TRTLLM_REQUESTS_RUNNING)} and deriv({waiting}[15m:1m]) > 0",
            "warning", "{{ $labels.model }}: request queue is growing",
            "More requests are waiting than running, and the queue has grown for 10 minutes: demand exceeds "
            "the replicas' capacity and time to first token will follow.",
            for_="10m",
        ),
    ]}


def _gpu_group() -> dict[str, Any]:
    return {"name": "gpu-health", "rules": [
        _alert(
            "GPUXidError", f"{m.DCGM_XID} > 0", "critical",
            "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported XID {{ $value }}",
            "The NVIDIA driver reported an XID error on this GPU. XIDs 48, 63, 64, 74, 79, 92, 94 and 95 mean "
            "memory or interconnect faults or a GPU that fell off the bus: drain the node.",
        ),
        _alert(
            "GPUTemperatureHigh", f"{m.DCGM_TEMP} > {GPU_TEMP_CELSIUS}", "warning",
            "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} at {{ $value }} C",
            f"The GPU has been above {GPU_TEMP_CELSIUS} C for 10 minutes; it throttles its clocks and serving "
            "latency rises.",
            for_="10m",
        ),
        _alert(
            "GPUMemoryErrors",
            f"increase({m.DCGM_ECC_DBE}[10m]) > 0 or {m.DCGM_ROW_REMAP_FAILURE} > 0", "critical",
            "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} has uncorrectable memory errors",
            "Double-bit ECC errors or a failed row remapping: results computed on this GPU can be wrong. "
            "Drain the node and let Karpenter replace it.",
        ),
    ]}


def _capacity_group() -> dict[str, Any]:
    gpu = '{resource_type="nvidia.com/gpu"}'
    return {"name": "capacity", "rules": [
        _alert(
            "KarpenterProvisioningFailures",
            f'sum by (error) (increase({m.KARPENTER_CLOUDPROVIDER_ERRORS}{{method="Create"}}[15m])) > 0',
            "warning", "Karpenter cannot launch nodes: {{ $labels.error }}",
            "Karpenter's EC2 launches have failed for 15 minutes (insufficient capacity, quota or permissions). "
            "Pods stay pending and new model replicas do not start.",
            for_="15m",
        ),
        _alert(
            "KarpenterNodePoolGPULimitNear",
            f"{m.KARPENTER_NODEPOOL_USAGE}{gpu} / {m.KARPENTER_NODEPOOL_LIMIT}{gpu} >= {number(NODEPOOL_LIMIT_NEAR)}",
            "warning", "NodePool {{ $labels.nodepool }} uses {{ $value | humanizePercentage }} of its GPU limit",
            "The pool's GPU limit (cluster.gpu_pools[].max_gpus, or the planner's value) is nearly reached: the "
            "next scale-out may not fit.",
            for_="15m",
        ),
        _alert(
            "KEDAScalerErrors",
            f"sum by (exported_namespace, scaledObject) (rate({m.KEDA_SCALER_ERRORS}[5m])) > 0",
            "warning", "KEDA cannot read the scaling metric of {{ $labels.scaledObject }}",
            "The scaler has failed for 10 minutes: the model's replica count is frozen while traffic changes.",
            for_="10m",
        ),
    ]}


def _fallback_group(spec: PlatformSpec) -> dict[str, Any] | None:
    rules = []
    for name in spec.gateway.fallbacks:
        model = next(model for model in spec.serving.models if model.name == name)
        sel = _selector(**{GATEWAY_MODEL_LABEL: name})
        fallbacks = " + ".join(f"(sum(rate({metric}{sel}[15m])) or vector(0))"
                               for metric in (m.LITELLM_FALLBACKS_OK, m.LITELLM_FALLBACKS_FAILED))
        threshold = model.slo.max_error_ratio
        rules.append(_alert(
            "GatewayFallbackRateHigh",
            f"({fallbacks}) / sum(rate({m.LITELLM_REQUESTS}{sel}[15m])) > {number(threshold)}",
            "warning", f"{name}: {{{{ $value | humanizePercentage }}}} of requests fall back",
            f"More than {number(threshold * 100)}% (the model's max_error_ratio) of {name}'s requests were "
            f"answered by a fallback ({', '.join(spec.gateway.fallbacks[name])}) for 10 minutes: the primary is "
            "failing or saturated.",
            for_="10m", model=name,
        ))
    return {"name": "gateway", "rules": rules} if rules else None


def instance_prices(spec: PlatformSpec) -> dict[tuple[str, str], float]:
    """(instance type, capacity type) -> USD/hour for every node type the platform may run; "" = managed node
    group (no Karpenter capacity-type label)."""
    prices: dict[tuple[str, str], float] = {}
    system = INSTANCES.get(spec.cluster.system_nodes.instance_type)
    if system is not None:
        prices[(system.name, "")] = system.usd_per_hour
    for pool in spec.cluster.gpu_pools:
        candidates = [INSTANCES[name] for name in pool.instance_types if name in INSTANCES] or instances_for(pool.gpu)
        for instance in candidates:
            prices[(instance.name, "on-demand")] = instance.usd_per_hour
            prices[(instance.name, "spot")] = instance.usd_per_hour * SPOT_PRICE_FRACTION
    return prices


def _cost_group(spec: PlatformSpec) -> dict[str, Any]:
    price_record = "blueprints:instance_price:usd_per_hour"
    rules: list[Rule] = [
        {"record": price_record, "expr": f"vector({number(price)})",
         "labels": {"instance_type": instance_type, "capacity_type": capacity_type}}
        for (instance_type, capacity_type), price in sorted(instance_prices(spec).items())
    ]
    instance_type, capacity_type = (ksm_node_label(key) for key in KSM_NODE_LABEL_KEYS[:2])
    nodes = (f'label_replace(label_replace({m.KSM_NODE_LABELS}, "instance_type", "$1", '
             f'"{instance_type}", "(.+)"), "capacity_type", "$1", "{capacity_type}", "(.*)")')
    rules += [
        {"record": "blueprints:node_cost:usd_per_hour",
         "expr": f"max by (node, instance_type, capacity_type) ({nodes}) "
                 f"* on (instance_type, capacity_type) group_left() {price_record}"},
        {"record": "blueprints:cluster_cost:usd_per_hour", "expr": "sum(blueprints:node_cost:usd_per_hour)"},
        {"record": "blueprints:gateway_spend:usd_per_hour", "expr": f"sum(rate({m.LITELLM_SPEND}[1h])) * 3600"},
        {"record": "blueprints:tokens:per_hour", "expr": f"sum(rate({m.LITELLM_TOTAL_TOKENS}[1h])) * 3600"},
        {"record": "blueprints:platform_cost:usd_per_hour",
         "expr": "sum(blueprints:cluster_cost:usd_per_hour or vector(0)) "
                 "+ sum(blueprints:gateway_spend:usd_per_hour or vector(0))"},
        {"record": "blueprints:cost_per_million_tokens:usd",
         "expr": "blueprints:platform_cost:usd_per_hour / blueprints:tokens:per_hour * 1e6"},
    ]
    if spec.budget.monthly_usd is not None:
        rules.append(_alert(
            "PlatformCostAboveBudget",
            f"blueprints:platform_cost:usd_per_hour * {HOURS_PER_MONTH} > {number(spec.budget.monthly_usd)}",
            "warning", "Run rate ${{ $value | humanize }}/month is above the budget",
            f"Nodes plus gateway spend in this region, projected over a month, exceed budget.monthly_usd "
            f"(${number(spec.budget.monthly_usd)}) for 6 hours. AWS Budgets alerts on the bill; this alert comes "
            "days earlier.",
            for_="6h",
        ))
    return {"name": "cost", "rules": rules}


RAG_STAGE_P95_SECONDS = 0.5
"""A retrieval stage slower than this at the 95th percentile eats most of a chat turn's time-to-first-token."""
RAG_STALE_SECONDS = 3600
"""Documents waiting longer than an hour to be searchable: ingestion is stuck or falling behind."""


def _retrieval_group() -> dict[str, Any]:
    stage_p95 = (f"histogram_quantile(0.95, sum by (stage, le) (rate({m.RAG_STAGE_SECONDS}_bucket[10m])))")
    unavailable = (f'sum(rate({m.RAG_QUERIES}{{outcome="unavailable"}}[10m])) / sum(rate({m.RAG_QUERIES}[10m]))')
    return {"name": "retrieval", "rules": [
        _alert(
            "RetrievalStageSlow", f"{stage_p95} > {number(RAG_STAGE_P95_SECONDS)}", "warning",
            "Retrieval stage {{ $labels.stage }} p95 is {{ $value | humanizeDuration }}",
            f"The 95th percentile of the {{{{ $labels.stage }}}} stage has stayed above {RAG_STAGE_P95_SECONDS} s "
            "for 10 minutes: embedding endpoint, vector store (HNSW search, filters) or reranker is slow.",
            for_="10m",
        ),
        _alert(
            "RetrievalUnavailable", f"{unavailable} > 0.05", "critical",
            "{{ $value | humanizePercentage }} of retrieval queries fail on the store or embedding endpoint",
            "More than 5% of queries have failed with 5xx for 5 minutes: the vector store or the embedding "
            "endpoint is unreachable.",
            for_="5m",
        ),
        _alert(
            "RetrievalIndexStale", f"{m.RAG_FRESHNESS} > {RAG_STALE_SECONDS}", "warning",
            "Index {{ $labels.index }}: documents unindexed for {{ $value | humanizeDuration }}",
            f"The newest document not yet in the active version is older than {RAG_STALE_SECONDS // 60} minutes: "
            "run or fix ingestion, then check `rag status`.",
            for_="15m",
        ),
    ]}


TEAM_BUDGET_WARNING = 0.8
TEAM_BUDGET_USED = "blueprints:team_budget:used_ratio"


def _budget_group() -> dict[str, Any]:
    """Teams' spend against their budget in the gateway's database (LiteLLM's own gauges, catalog/metrics.py). Each
    worker reports the team's budget as it last saw it: the most spent wins. LiteLLM refuses a team's requests once
    the budget is spent (400 budget_exceeded); these alerts tell its owner first."""
    used = (f"max by (team, team_alias) (({m.LITELLM_TEAM_BUDGET_MAX} - {m.LITELLM_TEAM_BUDGET_REMAINING}) "
            f"/ ({m.LITELLM_TEAM_BUDGET_MAX} > 0))")
    return {"name": "team-budgets", "rules": [
        {"record": TEAM_BUDGET_USED, "expr": used},
        _alert(
            "TeamBudgetNearlySpent", f"{TEAM_BUDGET_USED} >= {number(TEAM_BUDGET_WARNING)} < 1", "warning",
            "Team {{ $labels.team_alias }} has spent {{ $value | humanizePercentage }} of its budget",
            f"Team {{{{ $labels.team }}}} has used more than {number(TEAM_BUDGET_WARNING * 100)}% of its budget "
            "for the current period: at 100% the gateway refuses its requests until the budget resets.",
        ),
        _alert(
            "TeamBudgetExhausted", f"{TEAM_BUDGET_USED} >= 1", "critical",
            "Team {{ $labels.team_alias }} has spent its budget: its requests are refused",
            "Team {{ $labels.team }} has spent its whole budget for the current period; the gateway answers its "
            "keys with 400 budget_exceeded until the budget resets or is raised in the spec.",
        ),
    ]}


REFUSAL_RATE_FLOOR = 0.05
"""A refusal rate below this is not alerted on, however much it rose (a few refusals are normal)."""
REFUSAL_RISE = 2.0
"""The last hour's refusal rate at least this multiple of the previous day's: a version or prompt change."""
JSON_VALIDITY_MIN = 0.95
QUALITY_MIN_ANSWERS = 50
"""Answers (or JSON answers) a model version needs in the window before its rates are judged."""


def _quality_group() -> dict[str, Any]:
    by = "sum by (model_group, version)"

    def ratio(bad: str, total: str, window: str, offset: str = "") -> str:
        return f"({by} (increase({bad}[{window}]{offset})) / {by} (increase({total}[{window}]{offset})))"

    volume = f"{by} (increase({m.QUALITY_ANSWERS}[1h])) >= {QUALITY_MIN_ANSWERS}"
    recent, before = (ratio(m.QUALITY_REFUSALS, m.QUALITY_ANSWERS, "1h"),
                      ratio(m.QUALITY_REFUSALS, m.QUALITY_ANSWERS, "1d", " offset 1h"))
    json_answers = f"{by} (increase({m.QUALITY_JSON_ANSWERS}[30m])) >= {QUALITY_MIN_ANSWERS}"
    validity = ratio(f'{m.QUALITY_JSON_ANSWERS}{{valid="true"}}', m.QUALITY_JSON_ANSWERS, "30m")
    return {"name": "quality", "rules": [
        _alert(
            "AnswerRefusalRateRising",
            # `unless`: a version without a previous day (new, or its series absent) is judged on the floor alone.
            f"({recent} > {number(REFUSAL_RATE_FLOOR)} and {volume}) unless {recent} <= {number(REFUSAL_RISE)} "
            f"* {before}",
            "warning", "{{ $labels.model_group }} {{ $labels.version }} refuses {{ $value | humanizePercentage }}",
            f"Over the last hour more than {number(REFUSAL_RATE_FLOOR * 100)}% of this version's answers read as a "
            f"refusal, {number(REFUSAL_RISE)}x the previous day's rate: a new model version, prompt template or "
            "guardrail refuses ordinary requests.",
            for_="15m",
        ),
        _alert(
            "JsonAnswerValidityLow", f"{validity} < {number(JSON_VALIDITY_MIN)} and {json_answers}", "warning",
            "{{ $labels.model_group }} {{ $labels.version }}: {{ $value | humanizePercentage }} of JSON answers parse",
            f"Fewer than {number(JSON_VALIDITY_MIN * 100)}% of the answers to a JSON response_format request parsed "
            "as JSON over 30 minutes: clients expecting structured output are failing.",
            for_="15m",
        ),
    ]}


JUDGE_SCORE_MIN = 3.0
"""JudgeScoreLow: a version's mean judge score (1-5) over 6 h below this."""
MIN_JUDGE_SCORES = 20
PROMPT_SHARE = "blueprints:prompt_cluster:share_1d"
PROMPT_REFERENCE_SHARE = "blueprints:prompt_cluster:reference_share_1d"
PROMPT_PSI = "blueprints:prompt_drift:psi_1d"
DRIFT_REFERENCE_OFFSET = "7d"
"""The reference window: the same day a week earlier (weekly seasonality cancels; needs 8 days of retention)."""


def _feedback_group(spec: PlatformSpec) -> dict[str, Any]:
    """Ratings, judge scores and prompt drift from the feedback service and its quality worker. Drift: each
    model group's share of sampled prompts per centroid over the last day and over the same day a week earlier,
    both smoothed by one prompt per cluster (so an empty cluster has no infinite log; the worker exports every
    cluster of a group from its first prompt, so the clusters are counted from the series), and their PSI:
    sum((p - q) * ln(p / q))."""
    feedback, by = spec.feedback, "sum by (model_group, version)"
    ratings = f"{by} (increase({m.FEEDBACK_RATINGS}[6h]))"
    down = f'{by} (increase({m.FEEDBACK_RATINGS}{{rating="down"}}[6h]))'
    scores = f"{by} (increase({m.JUDGE_SCORE}_count[6h]))"
    mean = f"{by} (increase({m.JUDGE_SCORE}_sum[6h])) / {scores}"

    def share(offset: str) -> str:
        counts = f"sum by (model_group, cluster) (increase({m.PROMPT_CLUSTERS}[1d]{offset}))"
        return (f"({counts} + 1) / ignoring (cluster) group_left () (sum by (model_group) ({counts}) "
                f"+ count by (model_group) ({counts}))")

    def prompts(offset: str) -> str:
        return f"sum by (model_group) (increase({m.PROMPT_CLUSTERS}[1d]{offset})) >= {feedback.min_drift_prompts}"

    reference = f" offset {DRIFT_REFERENCE_OFFSET}"
    rules: list[Rule] = [_alert(
        "FeedbackThumbsDownHigh",
        f"({down} / {ratings} > {number(feedback.down_share_threshold)}) and {ratings} >= {feedback.min_ratings}",
        "warning", "{{ $labels.model_group }} {{ $labels.version }}: {{ $value | humanizePercentage }} thumbs-down",
        f"Over 6 hours more than {number(feedback.down_share_threshold * 100)}% of the ratings of this version's "
        f"answers were thumbs-down (at least {feedback.min_ratings} ratings): users are unhappy with it.",
        for_="15m",
    )]
    if feedback.judge_model is not None and feedback.judge_sample_percent > 0:
        rules.append(_alert(
            "JudgeScoreLow", f"({mean} < {number(JUDGE_SCORE_MIN)}) and {scores} >= {MIN_JUDGE_SCORES}", "warning",
            "{{ $labels.model_group }} {{ $labels.version }}: mean judge score {{ $value }}",
            f"The judge model scored this version's sampled answers {number(JUDGE_SCORE_MIN)} or lower on average "
            f"over 6 hours (1-5, at least {MIN_JUDGE_SCORES} scores).",
            for_="30m",
        ))
    if feedback.drift_sample_percent > 0:
        rules += [
            {"record": PROMPT_SHARE, "expr": share("")},
            {"record": PROMPT_REFERENCE_SHARE, "expr": share(reference)},
            {"record": PROMPT_PSI, "expr": f"sum by (model_group) (({PROMPT_SHARE} - {PROMPT_REFERENCE_SHARE}) "
                                           f"* ln({PROMPT_SHARE} / {PROMPT_REFERENCE_SHARE}))"},
            _alert(
                "PromptDriftHigh",
                f"({PROMPT_PSI} > {number(feedback.drift_psi_threshold)}) and ({prompts('')}) and "
                f"({prompts(reference)})",
                "warning", "{{ $labels.model_group }}: prompt PSI {{ $value }} vs a week ago",
                f"The distribution of this model group's prompts over the drift clusters shifted (PSI over "
                f"{number(feedback.drift_psi_threshold)}) between the last day and the same day a week earlier: "
                "new users, use cases or an integration now send different prompts than the golden set was built "
                "for.",
                for_="1h",
            ),
        ]
    return {"name": "feedback", "rules": rules}


def rule_files(spec: PlatformSpec) -> dict[str, dict[str, Any]]:
    """Every rule file of the platform: file name -> `{"groups": [...]}` (promtool's and Prometheus' format)."""
    files: dict[str, dict[str, Any]] = {"slo.rules.yaml": {"groups": _slo_groups(spec)}}
    if spec.self_hosted_models:
        files["serving.rules.yaml"] = {"groups": [_serving_group(spec.serving.engine)]}
    if spec.cluster.gpu_pools:
        files["gpu.rules.yaml"] = {"groups": [_gpu_group()]}
        files["capacity.rules.yaml"] = {"groups": [_capacity_group()]}
    fallback = _fallback_group(spec)
    if fallback:
        files["gateway.rules.yaml"] = {"groups": [fallback]}
    if retrieval_service(spec):
        files["retrieval.rules.yaml"] = {"groups": [_retrieval_group()]}
    files["quality.rules.yaml"] = {"groups": [_quality_group()]}
    if spec.feedback.enabled:
        files["feedback.rules.yaml"] = {"groups": [_feedback_group(spec)]}
    files["cost.rules.yaml"] = {"groups": [_cost_group(spec)]}
    if spec.gateway_database:
        files["budgets.rules.yaml"] = {"groups": [_budget_group()]}
    return files


def alert_names(spec: PlatformSpec) -> set[str]:
    return {rule["alert"] for file in rule_files(spec).values() for group in file["groups"]
            for rule in group["rules"] if "alert" in rule}
