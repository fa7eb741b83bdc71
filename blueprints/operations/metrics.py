"""What a canary did over a recent window, read from CloudWatch or from Prometheus's HTTP API.

Both sources answer the same four numbers for one model version: requests, error ratio, p95 time to first
token and p95 time per output token (milliseconds). A number with no data is None; the gates fail closed on it.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import urlopen

from pydantic import BaseModel, ConfigDict

from blueprints.errors import BlueprintError

CLOUDWATCH_NAMESPACE = "LLMPlatform/Serving"
"""Custom metrics per request, dimensions `Model` and `Version`: `Requests` and `Errors` (Count),
`TimeToFirstToken` and `TimePerOutputToken` (Milliseconds)."""
CLOUDWATCH_LATENCY_STATS = ("p95", "Maximum")
"""`p95`: CloudWatch computes the percentile from per-request values. `Maximum`: the worst value of a
percentile gauge an exporter publishes once a period (e.g. each minute's p95)."""


class CanaryMetrics(BaseModel):
    model_config = ConfigDict(frozen=True)

    requests: float | None
    error_ratio: float | None
    ttft_p95_ms: float | None
    tpot_p95_ms: float | None


class MetricsSource(Protocol):
    def measure(self, model: str, version: str, window: timedelta, now: datetime) -> CanaryMetrics: ...


class CloudWatchSource:
    def __init__(self, cloudwatch: Any, latency_stat: str = "p95", namespace: str = CLOUDWATCH_NAMESPACE):
        if latency_stat not in CLOUDWATCH_LATENCY_STATS:
            allowed = ", ".join(CLOUDWATCH_LATENCY_STATS)
            raise BlueprintError(f"--cloudwatch-latency-stat: unknown (got {latency_stat!r}; allowed: {allowed})")
        self._cloudwatch = cloudwatch
        self._latency_stat = latency_stat
        self._namespace = namespace

    def _query(self, query_id: str, metric: str, stat: str, model: str, version: str, period: int) -> dict:
        dimensions = [{"Name": "Model", "Value": model}, {"Name": "Version", "Value": version}]
        return {
            "Id": query_id,
            "MetricStat": {
                "Metric": {"Namespace": self._namespace, "MetricName": metric, "Dimensions": dimensions},
                "Period": period,
                "Stat": stat,
            },
        }

    def measure(self, model: str, version: str, window: timedelta, now: datetime) -> CanaryMetrics:
        period = max(60, int(window.total_seconds()) // 60 * 60)
        queries = [
            self._query("requests", "Requests", "Sum", model, version, period),
            self._query("errors", "Errors", "Sum", model, version, period),
            self._query("ttft", "TimeToFirstToken", self._latency_stat, model, version, period),
            self._query("tpot", "TimePerOutputToken", self._latency_stat, model, version, period),
        ]
        # Align to whole minutes, ending after `now`, so the newest data point is inside the window.
        end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        response = self._cloudwatch.get_metric_data(
            MetricDataQueries=queries, StartTime=end - timedelta(seconds=period), EndTime=end
        )
        values = {result["Id"]: result.get("Values", []) for result in response["MetricDataResults"]}
        requests = sum(values.get("requests", [])) if values.get("requests") else None
        errors = sum(values.get("errors", []))
        return CanaryMetrics(
            requests=requests,
            error_ratio=errors / requests if requests else None,
            ttft_p95_ms=max(values["ttft"]) if values.get("ttft") else None,
            tpot_p95_ms=max(values["tpot"]) if values.get("tpot") else None,
        )


class PrometheusQueries(BaseModel):
    """PromQL per number; `{selector}` and `{window}` are filled in. Defaults: requests and errors as the
    gateway (LiteLLM) counts them, latency histograms from the model server (trtllm-serve)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    selector: str = 'model="{model}",version="{version}"'
    """Label matchers of the candidate's series; `{model}` and `{version}` are filled in."""
    requests: str = "sum(increase(litellm_deployment_total_requests{{{selector}}}[{window}]))"
    error_ratio: str = (
        "sum(increase(litellm_deployment_failure_responses{{{selector}}}[{window}]))"
        " / sum(increase(litellm_deployment_total_requests{{{selector}}}[{window}]))"
    )
    ttft_p95_ms: str = (
        "1000 * histogram_quantile(0.95, sum by (le) "
        "(rate(trtllm_time_to_first_token_seconds_bucket{{{selector}}}[{window}])))"
    )
    tpot_p95_ms: str = (
        "1000 * histogram_quantile(0.95, sum by (le) "
        "(rate(trtllm_time_per_output_token_seconds_bucket{{{selector}}}[{window}])))"
    )

    def render(self, name: str, model: str, version: str, window: timedelta) -> str:
        selector = self.selector.format(model=model, version=version)
        return getattr(self, name).format(selector=selector, window=f"{int(window.total_seconds())}s")


def prometheus_get(base_url: str, path: str, params: dict[str, str] | None = None, timeout_s: float = 10.0) -> Any:
    """GET a Prometheus HTTP API path and return `data` of a successful answer."""
    url = base_url.rstrip("/") + path + (f"?{urlencode(params)}" if params else "")
    try:
        with urlopen(url, timeout=timeout_s) as response:
            body = json.load(response)
    except (URLError, OSError, ValueError) as error:
        raise BlueprintError(f"--prometheus-url: cannot query {url} ({error})") from None
    if body.get("status") != "success":
        raise BlueprintError(f"--prometheus-url: {path} answered {body.get('errorType')}: {body.get('error')}")
    return body["data"]


class PrometheusSource:
    def __init__(self, base_url: str, queries: PrometheusQueries | None = None):
        self._base_url = base_url
        self._queries = queries or PrometheusQueries()

    def _scalar(self, name: str, model: str, version: str, window: timedelta, now: datetime) -> float | None:
        query = self._queries.render(name, model, version, window)
        data = prometheus_get(self._base_url, "/api/v1/query", {"query": query, "time": f"{now.timestamp():.3f}"})
        results = data.get("result", [])
        if data.get("resultType") != "vector" or not results:
            return None
        value = float(results[0]["value"][1])
        return None if math.isnan(value) or math.isinf(value) else value

    def measure(self, model: str, version: str, window: timedelta, now: datetime) -> CanaryMetrics:
        return CanaryMetrics(
            **{name: self._scalar(name, model, version, window, now) for name in CanaryMetrics.model_fields}
        )
