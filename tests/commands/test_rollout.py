"""`rollout step` end to end: metrics from moto's CloudWatch or a local fake Prometheus, the stack file edited.

moto computes no percentile statistics, so these runs read the `Maximum` of published p95 gauges
(`--cloudwatch-latency-stat Maximum`); the `p95` request itself is covered with botocore's Stubber in
tests/operations/test_metrics.py.
"""

import json
from datetime import timedelta

import boto3
import pytest

from blueprints.cli import main
from blueprints.operations import history
from blueprints.operations.metrics import CLOUDWATCH_NAMESPACE, PrometheusQueries
from tests.operations.fakes import FakePrometheus
from tests.operations.support import aws, read_config, write_stack  # noqa: F401  (aws: fixture)


def _publish(cloudwatch, version, requests, errors, ttft_ms, tpot_ms):
    dimensions = [{"Name": "Model", "Value": "corp-small"}, {"Name": "Version", "Value": version}]
    cloudwatch.put_metric_data(Namespace=CLOUDWATCH_NAMESPACE, MetricData=[
        {"MetricName": name, "Dimensions": dimensions, "Value": value, "Unit": unit}
        for name, value, unit in (("Requests", requests, "Count"), ("Errors", errors, "Count"),
                                  ("TimeToFirstToken", ttft_ms, "Milliseconds"),
                                  ("TimePerOutputToken", tpot_ms, "Milliseconds"))
    ])


def _step(capsys, stacks, *extra):
    code = main(["rollout", "step", "--stack", "prod", "--stacks-dir", str(stacks), "--model", "corp-small",
                 "--actor", "deploy-bot", *extra])
    return code, capsys.readouterr()


def _versions(stacks):
    return read_config(stacks / "Pulumi.prod.yaml")["llm-platform:overrides"]["serving"]["models"][1]["versions"]


@pytest.fixture
def stacks(tmp_path):
    write_stack(tmp_path, "prod", "internal-ai", "prod", "  llm-platform:regions: [eu-central-1]\n")
    return tmp_path


def test_cloudwatch_gates_hold_and_the_canary_advances(aws, capsys, stacks):  # noqa: F811
    _publish(boto3.client("cloudwatch", region_name="eu-central-1"), "2026-11-01", 400, 1, 820, 31)
    code, out = _step(capsys, stacks, "--metrics", "cloudwatch", "--cloudwatch-latency-stat", "Maximum")
    assert code == 0, out.err
    assert out.out.splitlines() == [
        "corp-small: candidate 2026-11-01 at 10% of traffic",
        "  requests in window: 400.0",
        "  pass  max_error_ratio: observed 0.0025, limit 0.01",
        "  pass  ttft_p95_ms: observed 820, limit 1000",
        "  pass  tpot_p95_ms: observed 31, limit 40",
        "advanced: candidate 2026-11-01 now at 25%",
    ]
    assert _versions(stacks)["candidate_weight"] == 25


def test_cloudwatch_gate_failure_rolls_back_and_exits_1(aws, capsys, stacks):  # noqa: F811
    _publish(boto3.client("cloudwatch", region_name="eu-central-1"), "2026-11-01", 400, 40, 820, 31)
    code, out = _step(capsys, stacks, "--metrics", "cloudwatch", "--cloudwatch-latency-stat", "Maximum",
                      "--format", "json")
    assert code == 1
    result = json.loads(out.out)
    assert result["status"] == "rolled-back"
    assert [gate["gate"] for gate in result["gates"] if not gate["passed"]] == ["max_error_ratio"]
    versions = _versions(stacks)
    assert (versions["stable"], versions["candidate"], versions["candidate_weight"]) == ("2026-10-01", None, 0)
    [record] = history.read(stacks / "prod.rollouts.jsonl")
    assert (record.action, record.actor) == ("auto-rollback", "deploy-bot")
    assert record.reason == "gates failed: max_error_ratio"


@pytest.mark.integration
def test_prometheus_source_with_explicit_thresholds(capsys, stacks):
    queries = PrometheusQueries()
    window = timedelta(minutes=5)

    def render(name):
        return queries.render(name, "corp-small", "2026-11-01", window)

    answers = {render("requests"): 900, render("error_ratio"): 0.001, render("ttft_p95_ms"): 450,
               render("tpot_p95_ms"): 25}
    with FakePrometheus(answers) as prometheus:
        code, out = _step(capsys, stacks, "--metrics", "prometheus", "--prometheus-url", prometheus.base_url,
                          "--window-minutes", "5", "--ttft-p95-ms", "400", "--steps", "10,100")
        assert len(prometheus.queries) == 4
    assert code == 1
    assert "FAIL  ttft_p95_ms: observed 450, limit 400" in out.out
    assert "ROLLED BACK: all traffic to stable 2026-10-01" in out.out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--metrics", "prometheus"], "--prometheus-url: required with --metrics prometheus"),
        (["--metrics", "cloudwatch", "--steps", "50,25,100"], "--steps: must rise strictly"),
        (["--metrics", "cloudwatch", "--steps", "5,x"], "--steps: not a list of percentages"),
        (["--metrics", "cloudwatch", "--window-minutes", "0"], "--window-minutes: must be at least 1"),
    ],
)
def test_bad_input_exits_2(capsys, stacks, extra, message):
    code, out = _step(capsys, stacks, *extra)
    assert code == 2 and out.err.startswith(f"error: {message}")
