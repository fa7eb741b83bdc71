"""The rollout gates and the KEDA triggers, run by the real Prometheus rule engine (`promtool test rules`) on input
series named and labelled as their exporters name them (tests.observability.promtool.input_series checks each
against blueprints.catalog.metrics).

Each gate's query becomes an alert `<query> > <threshold>` (or `<` for the request floor), the way
blueprints.operations.rollout judges it: a healthy canary fires nothing and every number it needs is there (no data
fails a gate closed), a bad canary fires exactly the gate it breaks. The stable version's series are in the input
too, bad, and must not count.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprints.catalog import metrics as m
from blueprints.gateway.litellm_config import litellm_config
from blueprints.observability.series import SERVED_MODEL_LABEL, SERVED_VERSION_LABEL
from blueprints.operations.metrics import PrometheusQueries
from blueprints.operations.rollout import Thresholds
from blueprints.presets import load_spec
from tests.observability.promtool import input_series, run

PRESET, MODEL, STABLE, CANDIDATE = "internal-ai", "corp-small", "2026-10-01", "2026-11-01"
WINDOW = timedelta(minutes=10)
MINUTES = 20
REQUESTS_PER_MINUTE = 60


def _write(tmp_path: Path, rules: list[dict[str, Any]], tests: list[dict[str, Any]]) -> None:
    (tmp_path / "gates.rules.yaml").write_text(yaml.safe_dump({"groups": [{"name": "gates", "rules": rules}]}))
    document = {"rule_files": ["gates.rules.yaml"], "evaluation_interval": "1m", "tests": tests}
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    result = run("test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def _counter(per_minute: float) -> str:
    return f"0+{per_minute:g}x{MINUTES}"


def _api_bases() -> dict[str, str]:
    """Version -> the api_base LiteLLM's config gives its deployment (what LiteLLM labels its series with)."""
    spec = load_spec(PRESET, "prod")
    return {entry["model_info"]["version"]: entry["litellm_params"]["api_base"]
            for entry in litellm_config(spec, spec.regions[0])["model_list"] if entry["model_name"] == MODEL}


def _gateway(version: str, failures_per_minute: float | None) -> list[dict[str, str]]:
    """LiteLLM's per-deployment counters (litellm/integrations/prometheus.py v1.81.16); a deployment that never
    failed has no failure series at all."""
    labels = {"requested_model": MODEL, "api_base": _api_bases()[version], "litellm_model_name": f"openai/{MODEL}",
              "model_id": f"id-{version}", "api_provider": "openai", "namespace": "gateway", "pod": "litellm-0"}
    series = [input_series(m.LITELLM_DEPLOYMENT_REQUESTS, labels, _counter(REQUESTS_PER_MINUTE))]
    if failures_per_minute is not None:
        series.append(input_series(m.LITELLM_DEPLOYMENT_FAILURES, {**labels, "exception_status": "500"},
                                   _counter(failures_per_minute)))
    return series


def _histogram(name: str, buckets: tuple[float, ...], version: str, all_at_or_under: float) -> list[dict[str, str]]:
    """trtllm-serve's histogram (tensorrt_llm/metrics/collector.py) of one version's pod, every request observed
    in the bucket whose bound is `all_at_or_under`."""
    labels = {"model_name": MODEL, "engine_type": "trtllm", SERVED_MODEL_LABEL: MODEL,
              SERVED_VERSION_LABEL: version, "namespace": "models", "pod": f"{MODEL}-{version}-0"}
    series = [input_series(f"{name}_bucket", {**labels, "le": m.le_label(bound)},
                           _counter(REQUESTS_PER_MINUTE if bound >= all_at_or_under else 0)) for bound in buckets]
    series.append(input_series(f"{name}_bucket", {**labels, "le": "+Inf"}, _counter(REQUESTS_PER_MINUTE)))
    return [*series, input_series(f"{name}_count", labels, _counter(REQUESTS_PER_MINUTE))]


def _canary(failures_per_minute: float | None, ttft_s: float, tpot_s: float) -> list[dict[str, str]]:
    """The candidate as given, the stable version failing and slow (its series must not be read)."""
    return [*_gateway(CANDIDATE, failures_per_minute), *_gateway(STABLE, 30),
            *_histogram(m.TRTLLM_TTFT, m.TRTLLM_TTFT_BUCKETS, CANDIDATE, ttft_s),
            *_histogram(m.TRTLLM_TPOT, m.TRTLLM_TPOT_BUCKETS, CANDIDATE, tpot_s),
            *_histogram(m.TRTLLM_TTFT, m.TRTLLM_TTFT_BUCKETS, STABLE, 80.0),
            *_histogram(m.TRTLLM_TPOT, m.TRTLLM_TPOT_BUCKETS, STABLE, 5.0)]


def _gate_rules(thresholds: Thresholds) -> list[dict[str, Any]]:
    queries = PrometheusQueries()

    def query(name: str) -> str:
        return queries.render(name, MODEL, CANDIDATE, WINDOW)

    limits = {"error_ratio": thresholds.max_error_ratio, "ttft_p95_ms": thresholds.ttft_p95_ms,
              "tpot_p95_ms": thresholds.tpot_p95_ms}
    rules = [{"record": f"canary:{name}", "expr": query(name)} for name in ("requests", *limits)]
    rules.append({"alert": "CanaryGateFailed", "expr": f"({query('requests')}) < {thresholds.min_requests}",
                  "labels": {"gate": "min_requests"}})
    rules += [{"alert": "CanaryGateFailed", "expr": f"({query(name)}) > {limit:g}", "labels": {"gate": name}}
              for name, limit in limits.items()]
    return rules


def _case(series: list[dict[str, str]], failed: list[str], numbers: dict[str, float] | None = None) -> dict[str, Any]:
    case: dict[str, Any] = {"interval": "1m", "input_series": series, "alert_rule_test": [{
        "eval_time": f"{MINUTES}m", "alertname": "CanaryGateFailed",
        "exp_alerts": [{"exp_labels": {"gate": gate}} for gate in failed]}]}
    if numbers:
        case["promql_expr_test"] = [{"expr": f"canary:{name}", "eval_time": f"{MINUTES}m",
                                     "exp_samples": [{"labels": f"canary:{name}", "value": value}]}
                                    for name, value in numbers.items()]
    return case


@pytest.fixture(scope="module")
def thresholds() -> Thresholds:
    model = next(model for model in load_spec(PRESET, "prod").serving.models if model.name == MODEL)
    return Thresholds.for_model(model)  # error ratio 0.01, TTFT 1000 ms, TPOT 40 ms, at least 50 requests


def test_gates_pass_a_healthy_canary_and_fail_a_bad_one(tmp_path, thresholds):
    # p95 by linear interpolation inside the bucket holding every request: (0.25, 0.5] -> 487.5 ms;
    # (0.01, 0.025] -> 24.25 ms; (1.0, 2.5] -> 2425 ms; (0.05, 0.075] -> 73.75 ms.
    requests = REQUESTS_PER_MINUTE * WINDOW.total_seconds() / 60
    healthy = _case(_canary(None, 0.5, 0.025), [],
                    {"requests": requests, "error_ratio": 0, "ttft_p95_ms": 487.5, "tpot_p95_ms": 24.25})
    failing = _case(_canary(6, 0.5, 0.025), ["error_ratio"], {"error_ratio": 0.1})
    slow = _case(_canary(None, 2.5, 0.075), ["ttft_p95_ms", "tpot_p95_ms"],
                 {"ttft_p95_ms": 2425, "tpot_p95_ms": 73.75})
    _write(tmp_path, _gate_rules(thresholds), [healthy, failing, slow])


def test_a_candidate_without_traffic_measures_nothing(tmp_path, thresholds):
    """No candidate series: every gate number is absent, which blueprints.operations.rollout holds or fails."""
    rules = _gate_rules(thresholds)
    absent = [{"expr": f"absent(canary:{name})", "eval_time": f"{MINUTES}m", "exp_samples": [{"labels": "{}",
                                                                                              "value": 1}]}
              for name in ("requests", "error_ratio", "ttft_p95_ms", "tpot_p95_ms")]
    _write(tmp_path, rules, [{"interval": "1m", "input_series": _gateway(STABLE, 30), "promql_expr_test": absent}])


def _scaled_object_triggers(graph_of, preset: str, env: str, name: str) -> list[dict[str, Any]]:
    [scaled] = [r.inputs for r in graph_of(preset, env).of_type("kubernetes:keda.sh/v1alpha1:ScaledObject")
                if r.inputs["metadata"]["name"] == name]
    return [trigger for trigger in scaled["spec"]["triggers"] if trigger["type"] == "prometheus"]


def test_keda_triggers_read_the_versions_own_servers_and_the_gateway(tmp_path, graph_of):
    """regulated-industry dev scales reg-large 2026-11-01 from zero: waiting requests and KV cache of that
    version's pods only, and the gateway's request rate for the model (weighted by the version's share)."""
    triggers = {t["name"]: t for t in _scaled_object_triggers(graph_of, "regulated-industry", "dev",
                                                               "reg-large-2026-11-01")}
    assert set(triggers) == {"waiting-requests", "kv-cache-utilization", "gateway-requests"}

    def pod(version: str, index: int) -> dict[str, str]:
        return {"model_name": "reg-large", "engine_type": "trtllm", SERVED_MODEL_LABEL: "reg-large",
                SERVED_VERSION_LABEL: version, "namespace": "models", "pod": f"reg-large-{version}-{index}"}

    series = [input_series(m.TRTLLM_REQUESTS_WAITING, pod("2026-11-01", 0), "3x20"),
              input_series(m.TRTLLM_REQUESTS_WAITING, pod("2026-11-01", 1), "5x20"),
              input_series(m.TRTLLM_REQUESTS_WAITING, pod("2026-10-01", 0), "100x20"),
              input_series(m.TRTLLM_KV_CACHE_UTILIZATION, pod("2026-11-01", 0), "0.5x20"),
              input_series(m.TRTLLM_KV_CACHE_UTILIZATION, pod("2026-11-01", 1), "0.9x20"),
              input_series(m.TRTLLM_KV_CACHE_UTILIZATION, pod("2026-10-01", 0), "0.1x20"),
              input_series(m.LITELLM_REQUESTS, {"requested_model": "reg-large", "status_code": "200",
                                                "namespace": "gateway", "pod": "litellm-0"}, "0+120x20"),
              input_series(m.LITELLM_REQUESTS, {"requested_model": "reg-small", "status_code": "200",
                                                "namespace": "gateway", "pod": "litellm-0"}, "0+600x20")]
    expected = {"waiting-requests": 8, "kv-cache-utilization": 0.7, "gateway-requests": 2.0}
    record = {name: "keda:" + name.replace("-", "_") for name in triggers}
    rules = [{"record": record[name], "expr": trigger["metadata"]["query"]} for name, trigger in triggers.items()]
    # KEDA scales out when a query passes its threshold (AverageValue: per replica): the alert is that decision.
    rules += [{"alert": "KedaWantsMoreReplicas", "labels": {"trigger": name},
               "expr": f"({trigger['metadata']['query']}) > {trigger['metadata']['threshold']}"}
              for name, trigger in triggers.items()]
    tests = [{"interval": "1m", "input_series": series,
              "promql_expr_test": [{"expr": record[name], "eval_time": "15m",
                                    "exp_samples": [{"labels": record[name], "value": value}]}
                                   for name, value in expected.items()],
              "alert_rule_test": [{"eval_time": "15m", "alertname": "KedaWantsMoreReplicas", "exp_alerts": [
                  {"exp_labels": {"trigger": name}} for name, value in expected.items()
                  if value > float(triggers[name]["metadata"]["threshold"])]}]}]
    _write(tmp_path, rules, tests)
