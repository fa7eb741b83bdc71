"""What a canary did over a recent window, read from Prometheus's HTTP API: the in-cluster Prometheus, or the
region's Amazon Managed Prometheus workspace (queries signed with SigV4, as AMP requires).

Four numbers for one model version: requests, error ratio, p95 time to first token and p95 time per output token
(milliseconds). The default queries read series as their exporters name them (blueprints.catalog.metrics): the
gateway's per-deployment counters for the version's own Service, and trtllm-serve's latency histograms of the
version's pods. A number with no data is None; the gates fail closed on it.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.error import URLError
from urllib.parse import urlencode, urlparse
from urllib.request import Request, urlopen

from pydantic import BaseModel, ConfigDict

from blueprints.catalog import metrics as m
from blueprints.errors import BlueprintError
from blueprints.observability.series import GATEWAY_MODEL_LABEL, SERVED_MODEL_LABEL, SERVED_VERSION_LABEL

GATED_ENGINES = ("trtllm-serve",)
"""Serving engines whose default metrics hold per-version latency histograms, which the default queries read
(Triton's default metrics have none: its gates need queries given with --prometheus-queries)."""
AMP_HOST = re.compile(r"^aps-workspaces\.([a-z0-9-]+)\.amazonaws\.com$")
"""Amazon Managed Prometheus endpoints: `https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>`."""


class CanaryMetrics(BaseModel):
    model_config = ConfigDict(frozen=True)

    requests: float | None
    error_ratio: float | None
    ttft_p95_ms: float | None
    tpot_p95_ms: float | None


class MetricsSource(Protocol):
    def measure(self, model: str, version: str, window: timedelta, now: datetime) -> CanaryMetrics: ...


def _quantile_ms(histogram: str) -> str:
    return f"1000 * histogram_quantile(0.95, sum by (le) (rate({histogram}_bucket{{{{{{server}}}}}}[{{window}}])))"


class PrometheusQueries(BaseModel):
    """PromQL per number; `{gateway}`, `{server}` and `{window}` are filled in.

    `gateway`: matchers of the candidate's gateway series: its model group, and the deployment whose api_base is
    the version's Service (`http://<model>-<version>.<namespace>.svc...`, blueprints.serving.manifests; LiteLLM
    v1.81.16 labels a deployment with its configured `api_base`: litellm_core_utils/litellm_logging.py
    `get_standard_logging_object_payload`).
    `server`: matchers of the candidate's model-server series: the pod labels its PodMonitor copies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gateway: str = f'{GATEWAY_MODEL_LABEL}="{{model}}",api_base=~"https?://{{model}}-{{version}}[.:/].*"'
    server: str = f'{SERVED_MODEL_LABEL}="{{model}}",{SERVED_VERSION_LABEL}="{{version}}"'
    requests: str = f"sum(increase({m.LITELLM_DEPLOYMENT_REQUESTS}{{{{{{gateway}}}}}}[{{window}}]))"
    error_ratio: str = (
        # No failure yet means no failure series at all: that reads as 0 failures, not as no data.
        f"(sum(increase({m.LITELLM_DEPLOYMENT_FAILURES}{{{{{{gateway}}}}}}[{{window}}])) or vector(0))"
        f" / sum(increase({m.LITELLM_DEPLOYMENT_REQUESTS}{{{{{{gateway}}}}}}[{{window}}]))"
    )
    ttft_p95_ms: str = _quantile_ms(m.TRTLLM_TTFT)
    tpot_p95_ms: str = _quantile_ms(m.TRTLLM_TPOT)

    def render(self, name: str, model: str, version: str, window: timedelta) -> str:
        gateway = self.gateway.format(model=model, version=version)
        server = self.server.format(model=model, version=version)
        return getattr(self, name).format(gateway=gateway, server=server, window=f"{int(window.total_seconds())}s")


def amp_region(base_url: str) -> str | None:
    """The region of an Amazon Managed Prometheus endpoint, None for any other Prometheus."""
    match = AMP_HOST.match(urlparse(base_url).hostname or "")
    return match[1] if match else None


def _sigv4_headers(url: str, region: str) -> dict[str, str]:
    """SigV4 headers for a GET on AMP (service `aps`), from boto3's standard credential chain."""
    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise BlueprintError("--prometheus-url: Amazon Managed Prometheus needs AWS credentials (none found)")
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(credentials.get_frozen_credentials(), "aps", region).add_auth(request)
    return dict(request.headers.items())


def prometheus_get(base_url: str, path: str, params: dict[str, str] | None = None, timeout_s: float = 10.0,
                   sigv4_region: str | None = None) -> Any:
    """GET a Prometheus HTTP API path and return `data` of a successful answer. Signed with SigV4 for
    `sigv4_region`, which defaults to the region of an AMP endpoint."""
    url = base_url.rstrip("/") + path + (f"?{urlencode(params)}" if params else "")
    region = sigv4_region or amp_region(base_url)
    request = Request(url, headers=_sigv4_headers(url, region) if region else {})
    try:
        with urlopen(request, timeout=timeout_s) as response:
            body = json.load(response)
    except (URLError, OSError, ValueError) as error:
        raise BlueprintError(f"--prometheus-url: cannot query {url} ({error})") from None
    if body.get("status") != "success":
        raise BlueprintError(f"--prometheus-url: {path} answered {body.get('errorType')}: {body.get('error')}")
    return body["data"]


class PrometheusSource:
    def __init__(self, base_url: str, queries: PrometheusQueries | None = None, sigv4_region: str | None = None):
        self._base_url = base_url
        self._queries = queries or PrometheusQueries()
        self._sigv4_region = sigv4_region

    def _scalar(self, name: str, model: str, version: str, window: timedelta, now: datetime) -> float | None:
        query = self._queries.render(name, model, version, window)
        data = prometheus_get(self._base_url, "/api/v1/query", {"query": query, "time": f"{now.timestamp():.3f}"},
                              sigv4_region=self._sigv4_region)
        results = data.get("result", [])
        if data.get("resultType") != "vector" or not results:
            return None
        value = float(results[0]["value"][1])
        return None if math.isnan(value) or math.isinf(value) else value

    def measure(self, model: str, version: str, window: timedelta, now: datetime) -> CanaryMetrics:
        return CanaryMetrics(
            **{name: self._scalar(name, model, version, window, now) for name in CanaryMetrics.model_fields}
        )
