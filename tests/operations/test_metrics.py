"""Canary metrics from Prometheus's HTTP API (a local fake): the queries sent, the answers read, SigV4 for
Amazon Managed Prometheus. Whether the queries read real series is tests/observability/test_series.py's and
test_gates.py's business."""

from datetime import UTC, datetime, timedelta

import pytest

from blueprints.errors import BlueprintError
from blueprints.operations.metrics import PrometheusQueries, PrometheusSource, amp_region, prometheus_get
from tests.operations.fakes import FakePrometheus

WINDOW = timedelta(minutes=10)


@pytest.mark.integration
def test_prometheus_fills_the_templates_and_reads_vectors():
    queries = PrometheusQueries()
    render = lambda name: queries.render(name, "assistant", "2026-11-01", WINDOW)  # noqa: E731
    # Series and labels as LiteLLM v1.81.16 names them (litellm/integrations/prometheus.py): the per-deployment
    # counter, selected by model group and the candidate version's Service in api_base.
    assert render("requests") == (
        'sum(increase(litellm_deployment_total_requests_total{requested_model="assistant",'
        'api_base=~"https?://assistant-2026-11-01[.:/].*"}[600s]))'
    )
    answers = {render("requests"): 250, render("error_ratio"): 0.004, render("ttft_p95_ms"): 640.5}
    with FakePrometheus(answers) as prometheus:
        metrics = PrometheusSource(prometheus.base_url, queries).measure(
            "assistant", "2026-11-01", WINDOW, datetime.now(UTC)
        )
        assert not any("Authorization" in headers for headers in prometheus.headers)
    assert metrics.model_dump() == {"requests": 250, "error_ratio": 0.004, "ttft_p95_ms": 640.5, "tpot_p95_ms": None}


def test_amp_endpoints_are_recognised_by_host():
    assert amp_region("https://aps-workspaces.eu-central-1.amazonaws.com/workspaces/ws-1234") == "eu-central-1"
    assert amp_region("http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090") is None


@pytest.mark.integration
def test_sigv4_signs_for_the_aps_service(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with FakePrometheus({"up": 1}) as prometheus:
        data = prometheus_get(prometheus.base_url, "/api/v1/query", {"query": "up"}, sigv4_region="us-east-1")
        [headers] = prometheus.headers
    assert data["result"][0]["value"][1] == "1"
    assert "Credential=AKIDEXAMPLE/" in headers["Authorization"]
    assert "/us-east-1/aps/aws4_request" in headers["Authorization"]


def test_prometheus_unreachable_is_reported_with_the_flag():
    with pytest.raises(BlueprintError, match=r"^--prometheus-url: cannot query http://127\.0\.0\.1:9/api/v1/query"):
        PrometheusSource("http://127.0.0.1:9").measure("m", "v", WINDOW, datetime.now(UTC))
