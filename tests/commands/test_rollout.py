"""`rollout step` end to end: metrics from a local fake Prometheus (plain, and signed with SigV4 as Amazon Managed
Prometheus requires), the stack file edited. What the gate queries compute on real series is proven with promtool
in tests/observability/test_gates.py."""

import json
from datetime import timedelta

import pytest

from blueprints.cli import main
from blueprints.operations import history
from blueprints.operations.metrics import PrometheusQueries
from tests.operations.fakes import FakePrometheus
from tests.operations.support import read_config, write_stack

CANDIDATE = "2026-11-01"


def _answers(requests: float, error_ratio: float, ttft_ms: float, tpot_ms: float,
             window: timedelta = timedelta(minutes=10)) -> dict[str, float]:
    queries = PrometheusQueries()
    values = {"requests": requests, "error_ratio": error_ratio, "ttft_p95_ms": ttft_ms, "tpot_p95_ms": tpot_ms}
    return {queries.render(name, "corp-small", CANDIDATE, window): value for name, value in values.items()}


def _step(capsys, stacks, *extra):
    code = main(["rollout", "step", "--stack", "prod", "--stacks-dir", str(stacks), "--model", "corp-small",
                 "--actor", "deploy-bot", *extra])
    return code, capsys.readouterr()


def _versions(stacks):
    return read_config(stacks / "Pulumi.prod.yaml")["llm-platform:overrides"]["serving"]["models"][1]["versions"]


@pytest.fixture
def stacks(tmp_path):
    write_stack(tmp_path, "prod", "internal-ai", "prod", "  llm-platform:regions: [eu-north-1]\n")
    return tmp_path


@pytest.mark.integration
def test_gates_hold_and_the_canary_advances(capsys, stacks):
    with FakePrometheus(_answers(400, 0.0025, 820, 31)) as prometheus:
        code, out = _step(capsys, stacks, "--prometheus-url", prometheus.base_url)
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


@pytest.mark.integration
def test_gate_failure_rolls_back_and_exits_1(capsys, stacks):
    with FakePrometheus(_answers(400, 0.1, 820, 31)) as prometheus:
        code, out = _step(capsys, stacks, "--prometheus-url", prometheus.base_url, "--format", "json")
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
def test_managed_prometheus_queries_are_signed_with_sigv4(capsys, stacks, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with FakePrometheus(_answers(400, 0.0025, 820, 31)) as prometheus:
        code, out = _step(capsys, stacks, "--prometheus-url", prometheus.base_url, "--sigv4-region", "eu-central-1")
    assert code == 0, out.err
    for headers in prometheus.headers:
        authorization = headers["Authorization"]
        assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        assert "/eu-central-1/aps/aws4_request" in authorization and headers["X-Amz-Date"]


@pytest.mark.integration
def test_prometheus_source_with_explicit_thresholds(capsys, stacks):
    queries = PrometheusQueries()
    window = timedelta(minutes=5)

    def render(name):
        return queries.render(name, "corp-small", "2026-11-01", window)

    answers = {render("requests"): 900, render("error_ratio"): 0.001, render("ttft_p95_ms"): 450,
               render("tpot_p95_ms"): 25}
    with FakePrometheus(answers) as prometheus:
        code, out = _step(capsys, stacks, "--prometheus-url", prometheus.base_url,
                          "--window-minutes", "5", "--ttft-p95-ms", "400", "--steps", "10,100")
        assert len(prometheus.queries) == 4
    assert code == 1
    assert "FAIL  ttft_p95_ms: observed 450, limit 400" in out.out
    assert "ROLLED BACK: all traffic to stable 2026-10-01" in out.out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "--prometheus-url: required (got none;"),
        (["--prometheus-url", "http://127.0.0.1:9", "--steps", "50,25,100"], "--steps: must rise strictly"),
        (["--prometheus-url", "http://127.0.0.1:9", "--steps", "5,x"], "--steps: not a list of percentages"),
        (["--prometheus-url", "http://127.0.0.1:9", "--window-minutes", "0"], "--window-minutes: must be at least 1"),
    ],
)
def test_bad_input_exits_2(capsys, stacks, extra, message):
    code, out = _step(capsys, stacks, *extra)
    assert code == 2 and out.err.startswith(f"error: {message}")


def test_triton_needs_its_own_latency_queries(capsys, tmp_path):
    """Triton's default metrics have no per-version latency histogram: the default gates cannot judge it."""
    write_stack(tmp_path, "prod", "internal-ai", "prod",
                "  llm-platform:regions: [eu-north-1]\n  llm-platform:overrides:\n    serving: {engine: triton}\n")
    code, out = _step(capsys, tmp_path, "--prometheus-url", "http://127.0.0.1:9")
    assert code == 2 and out.err.startswith("error: --prometheus-queries: required with serving.engine 'triton'")
