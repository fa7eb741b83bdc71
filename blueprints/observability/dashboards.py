"""Grafana dashboards as code (grafana-foundation-sdk builders): serving, GPU fleet, gateway and cost.

`dashboards(spec)` returns dashboard JSON models keyed by file name. Every panel reads the Prometheus data source
chosen in the `datasource` variable, so the same JSON works with the in-cluster Grafana and Amazon Managed Grafana.
"""

from __future__ import annotations

import json
import re
from typing import Any

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model

from blueprints.catalog import metrics as m
from blueprints.observability.rules import PROMPT_PSI, PROMPT_SHARE, SLI_RECORD, TEAM_BUDGET_USED
from blueprints.observability.series import GATEWAY_MODEL_LABEL, MODEL_LABEL, SERVED_MODEL_LABEL, retrieval_service
from blueprints.spec import FeedbackSpec, PlatformSpec

DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
RATE = "$__rate_interval"
TAGS = ["llm-platform", "blueprints"]
PANEL_WIDTH, PANEL_HEIGHT, COLUMNS = 12, 8, 2
MODEL = "{{" + SERVED_MODEL_LABEL + "}}"
"""Legend of a trtllm series: its model."""

Panel = timeseries.Panel | stat.Panel


def _query(expr: str, legend: str, ref_id: str) -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref_id)


def _series(title: str, unit: str, *queries: tuple[str, str]) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(DATASOURCE)
    for index, (expr, legend) in enumerate(queries):
        panel = panel.with_target(_query(expr, legend, chr(ord("A") + index)))
    return panel


def _stat(title: str, unit: str, expr: str) -> stat.Panel:
    return stat.Panel().title(title).unit(unit).datasource(DATASOURCE).with_target(_query(expr, title, "A"))


def _dashboard(uid: str, title: str, panels: list[Panel], *variables: dashboard.QueryVariable) -> dict[str, Any]:
    board = (dashboard.Dashboard(title).uid(uid).tags(TAGS).refresh("1m").time("now-6h", "now")
             .with_variable(dashboard.DatasourceVariable("datasource").label("Data source").type("prometheus")))
    for variable in variables:
        board = board.with_variable(variable)
    for index, panel in enumerate(panels):
        x, y = (index % COLUMNS) * PANEL_WIDTH, (index // COLUMNS) * PANEL_HEIGHT
        board = board.with_panel(panel.grid_pos(model.GridPos(h=PANEL_HEIGHT, w=PANEL_WIDTH, x=x, y=y)))
    return json.loads(JSONEncoder(sort_keys=True).encode(board.build()))


def _model_variable(metric: str, label: str) -> dashboard.QueryVariable:
    return (dashboard.QueryVariable("model").label("Model").datasource(DATASOURCE)
            .query(f"label_values({metric}, {label})").include_all(True).multi(True).all_value(".+"))


def _quantile(histogram: str, selector: str, by: str, q: float = 0.95) -> str:
    return f"histogram_quantile({q}, sum by ({by}, le) (rate({histogram}_bucket{selector}[{RATE}])))"


def _slo_panel() -> timeseries.Panel:
    return _series("SLO error ratio (1h)", "percentunit",
                   (f'{SLI_RECORD}1h{{{MODEL_LABEL}=~"$model"}}', "{{model}} {{slo}}"))


def _triton_serving() -> dict[str, Any]:
    """Triton's default metrics: request counts and queue; time to first token as the gateway measures it."""
    sel, by = f'{{{SERVED_MODEL_LABEL}=~"$model"}}', SERVED_MODEL_LABEL
    gateway = f'{{{GATEWAY_MODEL_LABEL}=~"$model"}}'
    return _dashboard("llm-serving", "LLM serving", [
        _series("Time to first token at the gateway (p50, p95)", "s",
                (_quantile(m.LITELLM_TTFT, gateway, GATEWAY_MODEL_LABEL, 0.5), "p50 {{requested_model}}"),
                (_quantile(m.LITELLM_TTFT, gateway, GATEWAY_MODEL_LABEL), "p95 {{requested_model}}")),
        _series("Inference requests per second", "reqps",
                (f"sum by ({by}) (rate({m.TRITON_REQUEST_SUCCESS}{sel}[{RATE}]))", f"ok {MODEL}"),
                (f"sum by ({by}) (rate({m.TRITON_REQUEST_FAILURE}{sel}[{RATE}]))", f"failed {MODEL}")),
        _series("Requests pending", "short", (f"sum by ({by}) ({m.TRITON_PENDING_REQUESTS}{sel})", MODEL)),
        _slo_panel(),
    ], _model_variable(SLI_RECORD + "1h", MODEL_LABEL))


def serving(engine: str) -> dict[str, Any]:
    if engine == "triton":
        return _triton_serving()
    sel, by = f'{{{SERVED_MODEL_LABEL}=~"$model"}}', SERVED_MODEL_LABEL
    return _dashboard("llm-serving", "LLM serving", [
        _series("Time to first token (p50, p95)", "s",
                (_quantile(m.TRTLLM_TTFT, sel, by, 0.5), f"p50 {MODEL}"),
                (_quantile(m.TRTLLM_TTFT, sel, by), f"p95 {MODEL}")),
        _series("Time per output token (p50, p95)", "s",
                (_quantile(m.TRTLLM_TPOT, sel, by, 0.5), f"p50 {MODEL}"),
                (_quantile(m.TRTLLM_TPOT, sel, by), f"p95 {MODEL}")),
        _series("Tokens per second", "short",
                (f"sum by ({by}) (rate({m.TRTLLM_GENERATION_TOKENS}{sel}[{RATE}]))", f"output {MODEL}"),
                (f"sum by ({by}) (rate({m.TRTLLM_PROMPT_TOKENS}{sel}[{RATE}]))", f"input {MODEL}")),
        _series("Requests waiting and running", "short",
                (f"sum by ({by}) ({m.TRTLLM_REQUESTS_WAITING}{sel})", f"waiting {MODEL}"),
                (f"sum by ({by}) ({m.TRTLLM_REQUESTS_RUNNING}{sel})", f"running {MODEL}")),
        _series("KV cache utilisation", "percentunit",
                (f"avg by ({by}) ({m.TRTLLM_KV_CACHE_UTILIZATION}{sel})", MODEL),
                (f"avg by ({by}) ({m.TRTLLM_KV_CACHE_HIT_RATE}{sel})", f"hit rate {MODEL}")),
        _slo_panel(),
    ], _model_variable(SLI_RECORD + "1h", MODEL_LABEL))


def gpu_fleet() -> dict[str, Any]:
    node = "Hostname"
    return _dashboard("llm-gpu-fleet", "GPU fleet", [
        _series("GPU utilisation", "percent", (f"avg by ({node}) ({m.DCGM_GPU_UTIL})", "{{Hostname}}")),
        _series("SM and tensor-core activity", "percentunit",
                (f"avg by ({node}) ({m.DCGM_SM_ACTIVE})", "SM {{Hostname}}"),
                (f"avg by ({node}) ({m.DCGM_TENSOR_ACTIVE})", "tensor {{Hostname}}")),
        _series("Memory bandwidth activity", "percentunit",
                (f"avg by ({node}) ({m.DCGM_DRAM_ACTIVE})", "{{Hostname}}")),
        _series("Framebuffer used", "percentunit",
                (f"sum by ({node}) ({m.DCGM_FB_USED}) / sum by ({node}) ({m.DCGM_FB_USED} + {m.DCGM_FB_FREE})",
                 "{{Hostname}}")),
        _series("Temperature", "celsius", (f"max by ({node}, gpu) ({m.DCGM_TEMP})", "{{Hostname}} GPU {{gpu}}")),
        _series("Power", "watt", (f"sum by ({node}) ({m.DCGM_POWER})", "{{Hostname}}")),
        _series("Last XID error", "none", (f"max by ({node}, gpu) ({m.DCGM_XID})", "{{Hostname}} GPU {{gpu}}")),
        _series("GPU nodes launched by Karpenter", "short",
                (f"sum by (nodepool) (increase({m.KARPENTER_NODECLAIMS_CREATED}[1h]))", "{{nodepool}}")),
    ])


def gateway() -> dict[str, Any]:
    model_ = GATEWAY_MODEL_LABEL
    return _dashboard("llm-gateway", "LLM gateway", [
        _series("Requests per second", "reqps",
                (f"sum by ({model_}, status_code) (rate({m.LITELLM_REQUESTS}[{RATE}]))",
                 "{{requested_model}} {{status_code}}")),
        _series("Failed requests", "percentunit",
                (f"sum by ({model_}) (rate({m.LITELLM_FAILED_REQUESTS}[{RATE}])) "
                 f"/ sum by ({model_}) (rate({m.LITELLM_REQUESTS}[{RATE}]))", "{{requested_model}}")),
        _series("Cache hit ratio", "percentunit",
                (f"sum(rate({m.LITELLM_CACHE_HITS}[{RATE}])) / (sum(rate({m.LITELLM_CACHE_HITS}[{RATE}])) "
                 f"+ sum(rate({m.LITELLM_CACHE_MISSES}[{RATE}])))", "hits")),
        _series("Fallbacks per second", "reqps",
                (f"sum by ({model_}, fallback_model) (rate({m.LITELLM_FALLBACKS_OK}[{RATE}]))",
                 "{{requested_model}} -> {{fallback_model}}"),
                (f"sum by ({model_}, fallback_model) (rate({m.LITELLM_FALLBACKS_FAILED}[{RATE}]))",
                 "failed {{requested_model}} -> {{fallback_model}}")),
        _series("Latency p95 (end to end)", "s", (_quantile(m.LITELLM_LATENCY, "", model_), "{{requested_model}}")),
        _series("Tokens per second by key", "short",
                (f"sum by (api_key_alias) (rate({m.LITELLM_TOTAL_TOKENS}[{RATE}]))", "{{api_key_alias}}")),
        _series("Spend per key (USD/hour)", "currencyUSD",
                (f"sum by (api_key_alias) (rate({m.LITELLM_SPEND}[{RATE}])) * 3600", "{{api_key_alias}}")),
        _series("Input and output tokens per model", "short",
                (f"sum by ({model_}) (rate({m.LITELLM_INPUT_TOKENS}[{RATE}]))", "input {{requested_model}}"),
                (f"sum by ({model_}) (rate({m.LITELLM_OUTPUT_TOKENS}[{RATE}]))", "output {{requested_model}}")),
    ])


def cost() -> dict[str, Any]:
    return _dashboard("llm-cost", "LLM platform cost", [
        _stat("Platform (USD/hour)", "currencyUSD", "blueprints:platform_cost:usd_per_hour"),
        _stat("USD per 1M tokens", "currencyUSD", "blueprints:cost_per_million_tokens:usd"),
        _series("Cost (USD/hour)", "currencyUSD",
                ("blueprints:cluster_cost:usd_per_hour", "nodes"),
                ("blueprints:gateway_spend:usd_per_hour", "hosted models (gateway spend)")),
        _series("Node cost by instance type (USD/hour)", "currencyUSD",
                ("sum by (instance_type, capacity_type) (blueprints:node_cost:usd_per_hour)",
                 "{{instance_type}} {{capacity_type}}")),
        _series("Tokens per hour", "short", ("blueprints:tokens:per_hour", "tokens")),
    ])


def spend() -> dict[str, Any]:
    """What each team, key and model spends at the gateway (LiteLLM's spend counter), and the teams' and keys'
    budgets used (its budget gauges, database mode)."""
    def per_hour(by: str) -> str:
        return f"sum by ({by}) (rate({m.LITELLM_SPEND}[{RATE}])) * 3600"

    return _dashboard("llm-spend", "LLM spend and budgets", [
        _series("Spend per team (USD/hour)", "currencyUSD", (per_hour("team, team_alias"), "{{team_alias}}")),
        _series("Spend per key (USD/hour)", "currencyUSD", (per_hour("api_key_alias"), "{{api_key_alias}}")),
        _series("Spend per model (USD/hour)", "currencyUSD", (per_hour("model"), "{{model}}")),
        _series("Spend per team and model, last 24 h (USD)", "currencyUSD",
                (f"sum by (team_alias, model) (increase({m.LITELLM_SPEND}[1d]))", "{{team_alias}} {{model}}")),
        _series("Team budget used", "percentunit", (TEAM_BUDGET_USED, "{{team_alias}}")),
        _series("Key budget used", "percentunit",
                (f"max by (hashed_api_key, api_key_alias) (({m.LITELLM_KEY_BUDGET_MAX} - "
                 f"{m.LITELLM_KEY_BUDGET_REMAINING}) / ({m.LITELLM_KEY_BUDGET_MAX} > 0))", "{{api_key_alias}}")),
    ])


def _feedback_panels(feedback: FeedbackSpec) -> list[Panel]:
    """Ratings, and where answers are sampled judge scores and prompt drift (the feedback service and its quality
    worker, blueprints/feedback)."""
    by, legend = "model_group, version", "{{model_group}} {{version}}"
    ratings = f"sum by ({by}) (increase({m.FEEDBACK_RATINGS}[1h]))"
    judged = feedback.judge_model is not None and feedback.judge_sample_percent > 0
    panels: list[Panel] = [
        _series("Feedback rate (ratings per answer)", "percentunit",
                (f"{ratings} / sum by ({by}) (increase({m.QUALITY_ANSWERS}[1h]))", legend)),
        _series("Thumbs-down share (1h)", "percentunit",
                (f'sum by ({by}) (increase({m.FEEDBACK_RATINGS}{{rating="down"}}[1h])) / {ratings}', legend)),
    ]
    if judged:
        mean = f"sum by ({by}) (rate({m.JUDGE_SCORE}_sum[1h])) / sum by ({by}) (rate({m.JUDGE_SCORE}_count[1h]))"
        p10 = f"histogram_quantile(0.1, sum by ({by}, le) (rate({m.JUDGE_SCORE}_bucket[1h])))"
        panels.append(_series("Judge score (mean, p10)", "short", (mean, f"mean {legend}"), (p10, f"p10 {legend}")))
    if feedback.drift_sample_percent > 0:
        panels += [_series("Prompt drift (PSI, last day vs a week earlier)", "short", (PROMPT_PSI, "{{model_group}}")),
                   _series("Prompt clusters (share of the last day)", "percentunit",
                           (PROMPT_SHARE, "{{model_group}} {{cluster}}"))]
    return panels


def quality(feedback: FeedbackSpec) -> dict[str, Any]:
    """Online answer quality per model version (the gateway's quality callback, feedback/litellm_quality.py), and
    where the feedback service runs its ratings, judge scores and prompt drift."""
    by = "model_group, version"
    legend = "{{model_group}} {{version}}"
    return _dashboard("llm-quality", "LLM answer quality", [
        _series("Answers per second", "reqps", (f"sum by ({by}) (rate({m.QUALITY_ANSWERS}[{RATE}]))", legend)),
        _series("Refusal rate", "percentunit",
                (f"sum by ({by}) (rate({m.QUALITY_REFUSALS}[{RATE}])) / sum by ({by}) "
                 f"(rate({m.QUALITY_ANSWERS}[{RATE}]))", legend)),
        _series("JSON validity (answers to a JSON response_format)", "percentunit",
                (f'sum by ({by}) (rate({m.QUALITY_JSON_ANSWERS}{{valid="true"}}[{RATE}])) / sum by ({by}) '
                 f"(rate({m.QUALITY_JSON_ANSWERS}[{RATE}]))", legend)),
        _series("Output tokens per answer (p50, p95)", "short",
                (_quantile(m.QUALITY_OUTPUT_TOKENS, "", by, 0.5), f"p50 {legend}"),
                (_quantile(m.QUALITY_OUTPUT_TOKENS, "", by), f"p95 {legend}")),
        *(_feedback_panels(feedback) if feedback.enabled else []),
    ])


def retrieval() -> dict[str, Any]:
    return _dashboard("llm-retrieval", "LLM platform retrieval", [
        _series("Stage latency p95", "s", (_quantile(m.RAG_STAGE_SECONDS, "", "stage"), "{{stage}}")),
        _series("Queries per second", "reqps",
                (f"sum by (outcome) (rate({m.RAG_QUERIES}[{RATE}]))", "{{outcome}}")),
        _series("Index freshness (age of the newest unindexed document)", "s",
                (f"max by (index) ({m.RAG_FRESHNESS})", "{{index}}")),
    ])


def dashboards(spec: PlatformSpec) -> dict[str, dict[str, Any]]:
    """File name -> Grafana dashboard JSON model, for what this platform runs."""
    boards = {"gateway.json": gateway(), "cost.json": cost(), "quality.json": quality(spec.feedback)}
    if spec.self_hosted_models:
        boards["serving.json"] = serving(spec.serving.engine)
    if spec.cluster.gpu_pools:
        boards["gpu-fleet.json"] = gpu_fleet()
    if retrieval_service(spec):
        boards["retrieval.json"] = retrieval()
    if spec.gateway_database:
        boards["spend.json"] = spend()
    return dict(sorted(boards.items()))


def panel_queries(board: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a dashboard's panels."""
    return [target["expr"] for panel in board["panels"] for target in panel.get("targets", [])]


GRAFANA_SAMPLE_VALUES = {"$__rate_interval": "5m", "$model": ".+"}
"""A value each Grafana variable our panels use can take, to read a panel's query as the PromQL Prometheus gets."""


def promql(board: dict[str, Any]) -> list[str]:
    """The PromQL a dashboard sends: its panels' queries with the variables filled in, and each
    `label_values(series, label)` variable as the query that needs the same series and label."""
    queries = []
    for expr in panel_queries(board):
        for variable, value in GRAFANA_SAMPLE_VALUES.items():
            expr = expr.replace(variable, value)
        queries.append(expr)
    for variable in board["templating"]["list"]:
        match = re.fullmatch(r"label_values\((.+), *(\w+)\)", str(variable.get("query", "")))
        if variable.get("type") == "query" and match:
            queries.append(f"count by ({match[2]}) ({match[1]})")
    return queries
