"""`verify` against local fakes of the gateway (LiteLLM's routes) and Prometheus, on 127.0.0.1."""

import json

import pytest

from blueprints.cli import main
from tests.operations.fakes import FakeGateway, FakePrometheus
from tests.operations.support import write_stack

KEY = "sk-verify-test"
MODELS = ["assistant", "assistant-fallback"]  # enterprise-assistant: response cache on
RULES = [{"name": "serving", "file": "serving.yaml", "rules": [
    {"name": "ModelErrorRatioHigh", "type": "alerting", "health": "ok"},
    {"name": "GatewayDown", "type": "alerting", "health": "ok"},
]}]

pytestmark = pytest.mark.integration


@pytest.fixture
def stacks(tmp_path):
    write_stack(tmp_path, "prod", "enterprise-assistant", "prod")
    return tmp_path


def _verify(capsys, stacks, outputs, *extra):
    path = stacks / "outputs.json"
    path.write_text(json.dumps(outputs))
    code = main(["verify", "--stack", "prod", "--stacks-dir", str(stacks), "--outputs", str(path),
                 "--api-key", KEY, "--timeout", "5", *extra])
    return code, capsys.readouterr()


def _statuses(out):
    return {line.split()[0]: line.split()[2] for line in out.splitlines()[1:] if line and not line.startswith("verify")}


def test_every_check_passes_against_a_healthy_stack(capsys, stacks):
    with FakeGateway(KEY, MODELS) as gateway, FakePrometheus(rule_groups=RULES) as prometheus:
        outputs = {"preset": "enterprise-assistant", "regions": {"us-east-1": {"gateway_url": gateway.base_url}},
                   "prometheus_url": prometheus.base_url}
        code, out = _verify(capsys, stacks, outputs, "--expect-rule", "GatewayDown")
        probes = [body["model"] for body in gateway.completions]
    assert code == 0, out.out
    assert _statuses(out.out) == {
        "outputs": "PASS", "gateway-alive": "PASS", "auth-required": "PASS", "models-listed": "PASS",
        "models-healthy": "PASS", "streamed-completion": "PASS", "cached-repeat": "PASS", "alert-rules": "PASS",
    }
    assert out.out.rstrip().endswith("verify prod: all checks passed")
    assert probes == ["assistant"] * 3  # one streamed, two identical for the cache


def test_each_failure_is_reported_and_exits_1(capsys, stacks):
    broken_rules = [{"name": "serving", "rules": [
        {"name": "ModelErrorRatioHigh", "type": "alerting", "health": "err", "lastError": "bad query"}
    ]}]
    with FakeGateway(KEY, MODELS[:1]) as gateway, FakePrometheus(rule_groups=broken_rules) as prometheus:
        gateway.no_key_status = 200
        gateway.unhealthy = ["assistant"]
        gateway.stream_done = False
        gateway.cache = False
        outputs = {"gateway_url": gateway.base_url + "/"}
        code, out = _verify(capsys, stacks, outputs, "--prometheus-url", prometheus.base_url, "--format", "json")
    assert code == 1
    report = json.loads(out.out)
    details = {row["check"]: (row["status"], row["detail"]) for row in report["checks"]}
    assert details["auth-required"] == ("fail", "no key: HTTP 200 (expected 401, 403 or 400)")
    assert details["models-listed"] == ("fail", "missing assistant-fallback")
    assert details["models-healthy"] == ("fail", "unhealthy: assistant")
    assert details["streamed-completion"] == ("fail", "assistant: 2 chunks, stream did not end with [DONE]")
    assert details["cached-repeat"][0] == "fail"
    assert details["alert-rules"] == ("fail", "failing: ModelErrorRatioHigh (bad query)")
    assert {row["region"] for row in report["checks"]} == {"global"}


def test_unreachable_gateway_and_missing_outputs(capsys, stacks):
    code, out = _verify(capsys, stacks, {"regions": {"us-east-1": {"gateway_url": "http://127.0.0.1:9"}}})
    statuses = _statuses(out.out)
    assert code == 1 and statuses["gateway-alive"] == "FAIL" and statuses["alert-rules"] == "SKIP"
    code, out = _verify(capsys, stacks, {"preset": "enterprise-assistant"})
    assert code == 1 and _statuses(out.out)["outputs"] == "FAIL"


def test_without_outputs_file_or_pulumi_cli_is_bad_input(capsys, stacks, monkeypatch):
    monkeypatch.setenv("PATH", str(stacks))
    code = main(["verify", "--stack", "prod", "--stacks-dir", str(stacks)])
    assert code == 2
    assert "--outputs: the pulumi CLI is not installed" in capsys.readouterr().err
