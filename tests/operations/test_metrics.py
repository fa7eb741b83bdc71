"""Canary metrics from CloudWatch (moto) and Prometheus (a local fake).

moto 5.2.5 does not compute percentile statistics (`get_metric_data` with `Stat: p95` fails while serialising
its None result), so the p95 request shape is checked with botocore's Stubber; the moto test reads the
`Maximum` of published p95 gauges, the source's other supported statistic.
"""

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber

from blueprints.errors import BlueprintError
from blueprints.operations.metrics import (
    CLOUDWATCH_NAMESPACE,
    CloudWatchSource,
    PrometheusQueries,
    PrometheusSource,
)
from tests.operations.fakes import FakePrometheus

WINDOW = timedelta(minutes=10)


def put(cloudwatch, model, version, metric, values, unit):
    dimensions = [{"Name": "Model", "Value": model}, {"Name": "Version", "Value": version}]
    cloudwatch.put_metric_data(Namespace=CLOUDWATCH_NAMESPACE, MetricData=[
        {"MetricName": metric, "Dimensions": dimensions, "Value": value, "Unit": unit} for value in values
    ])


def test_cloudwatch_counts_and_latency_gauges_from_moto(aws):
    cloudwatch = boto3.client("cloudwatch")
    put(cloudwatch, "assistant", "2026-11-01", "Requests", [100, 100], "Count")
    put(cloudwatch, "assistant", "2026-11-01", "Errors", [3, 1], "Count")
    put(cloudwatch, "assistant", "2026-11-01", "TimeToFirstToken", [800, 1200], "Milliseconds")
    put(cloudwatch, "assistant", "2026-11-01", "TimePerOutputToken", [30, 42], "Milliseconds")
    put(cloudwatch, "assistant", "2026-10-01", "Errors", [90], "Count")  # the stable version: not counted
    now = datetime.now(UTC)
    metrics = CloudWatchSource(cloudwatch, latency_stat="Maximum").measure("assistant", "2026-11-01", WINDOW, now)
    assert metrics.requests == 200
    assert metrics.error_ratio == pytest.approx(0.02)
    assert (metrics.ttft_p95_ms, metrics.tpot_p95_ms) == (1200, 42)


def test_cloudwatch_without_data_measures_nothing(aws):
    metrics = CloudWatchSource(boto3.client("cloudwatch"), "Maximum").measure("m", "v", WINDOW, datetime.now(UTC))
    assert metrics.model_dump() == {"requests": None, "error_ratio": None, "ttft_p95_ms": None, "tpot_p95_ms": None}


def test_cloudwatch_p95_asks_for_the_percentile_statistic_stubbed():
    cloudwatch = boto3.client("cloudwatch", region_name="eu-central-1", aws_access_key_id="x",
                              aws_secret_access_key="x")
    now = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    with Stubber(cloudwatch) as stubber:
        stubber.add_response(
            "get_metric_data",
            {"MetricDataResults": [
                {"Id": "requests", "Values": [400.0]}, {"Id": "errors", "Values": [2.0]},
                {"Id": "ttft", "Values": [950.0]}, {"Id": "tpot", "Values": [38.5]},
            ]},
            {"MetricDataQueries": ANY, "StartTime": now - WINDOW + timedelta(minutes=1),
             "EndTime": now + timedelta(minutes=1)},
        )
        metrics = CloudWatchSource(cloudwatch).measure("assistant", "2026-11-01", WINDOW, now)
        stubber.assert_no_pending_responses()
    assert (metrics.requests, metrics.error_ratio, metrics.ttft_p95_ms, metrics.tpot_p95_ms) == (400, 0.005, 950, 38.5)


def test_cloudwatch_query_shape():
    source = CloudWatchSource(object())
    query = source._query("ttft", "TimeToFirstToken", "p95", "assistant", "2026-11-01", 600)
    assert query["MetricStat"]["Stat"] == "p95" and query["MetricStat"]["Period"] == 600
    assert query["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "Model", "Value": "assistant"}, {"Name": "Version", "Value": "2026-11-01"}
    ]
    with pytest.raises(BlueprintError, match=r"^--cloudwatch-latency-stat: unknown \(got 'p50'"):
        CloudWatchSource(object(), latency_stat="p50")


@pytest.mark.integration
def test_prometheus_fills_the_templates_and_reads_vectors():
    queries = PrometheusQueries()
    render = lambda name: queries.render(name, "assistant", "2026-11-01", WINDOW)  # noqa: E731
    assert render("requests") == (
        'sum(increase(litellm_deployment_total_requests{model="assistant",version="2026-11-01"}[600s]))'
    )
    answers = {render("requests"): 250, render("error_ratio"): 0.004, render("ttft_p95_ms"): 640.5}
    with FakePrometheus(answers) as prometheus:
        metrics = PrometheusSource(prometheus.base_url, queries).measure(
            "assistant", "2026-11-01", WINDOW, datetime.now(UTC)
        )
    assert metrics.model_dump() == {"requests": 250, "error_ratio": 0.004, "ttft_p95_ms": 640.5, "tpot_p95_ms": None}


def test_prometheus_unreachable_is_reported_with_the_flag():
    with pytest.raises(BlueprintError, match=r"^--prometheus-url: cannot query http://127\.0\.0\.1:9/api/v1/query"):
        PrometheusSource("http://127.0.0.1:9").measure("m", "v", WINDOW, datetime.now(UTC))
