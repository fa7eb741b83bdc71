"""The generated rules pass `promtool check rules` for every preset, and `promtool test rules` proves each alert
family fires on bad input series and stays silent on good ones."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprints.catalog import metrics as m
from blueprints.observability.rules import (
    BURN_WINDOWS,
    alert_names,
    instance_prices,
    interpolated_good,
    rule_files,
    slis,
)
from blueprints.observability.series import GATEWAY_MODEL_LABEL, MODEL_LABEL, SERVED_MODEL_LABEL
from blueprints.presets import load_spec
from blueprints.spec import PlatformSpec
from tests.conftest import PRESET_ENVS
from tests.observability.promtool import input_series, run, write_rule_files

RUNBOOKS = Path(__file__).resolve().parents[2] / "docs" / "runbooks.md"


@pytest.fixture(scope="module")
def regulated() -> PlatformSpec:
    return load_spec("regulated-industry", "prod")


@pytest.mark.parametrize(("preset", "env"), PRESET_ENVS)
def test_promtool_check_rules_passes_for_every_preset(tmp_path, preset, env):
    paths = write_rule_files(rule_files(load_spec(preset, env)), tmp_path)
    result = run("check", "rules", *paths, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(paths)


def test_every_alert_has_severity_summary_description_and_a_runbook_section(regulated):
    anchors = {re.sub(r"[^a-z0-9-]", "", line[3:].strip().lower())
               for line in RUNBOOKS.read_text().splitlines() if line.startswith("## ")}
    for file in rule_files(regulated).values():
        for group in file["groups"]:
            for rule in group["rules"]:
                if "alert" not in rule:
                    continue
                assert rule["labels"]["severity"] in ("critical", "warning")
                assert rule["annotations"]["summary"] and rule["annotations"]["description"]
                anchor = rule["annotations"]["runbook_url"].split("#")[1]
                assert anchor in anchors, f"{rule['alert']}: no '## {rule['alert']}' section in docs/runbooks.md"


def test_alert_families_follow_the_spec(regulated):
    mvp = load_spec("startup-mvp", "prod")
    assert {"ModelTTFTBudgetBurn", "ModelTPOTBudgetBurn", "ModelAvailabilityBudgetBurn", "ModelErrorBudgetBurn",
            "ModelKVCacheSaturated", "ModelQueueGrowing", "GPUXidError", "GPUTemperatureHigh", "GPUMemoryErrors",
            "KarpenterProvisioningFailures", "KarpenterNodePoolGPULimitNear", "KEDAScalerErrors",
            "GatewayFallbackRateHigh", "PlatformCostAboveBudget", "RetrievalStageSlow", "RetrievalUnavailable",
            "RetrievalIndexStale", "AnswerRefusalRateRising", "JsonAnswerValidityLow", "TeamBudgetNearlySpent",
            "TeamBudgetExhausted", "FeedbackThumbsDownHigh"} == alert_names(regulated)  # no judge, no drift there
    # Bedrock only: no GPUs, no trtllm, and no TPOT SLI (LiteLLM has no per-request TPOT histogram).
    assert alert_names(mvp) == {"ModelTTFTBudgetBurn", "ModelAvailabilityBudgetBurn", "ModelErrorBudgetBurn",
                                "GatewayFallbackRateHigh", "PlatformCostAboveBudget", "AnswerRefusalRateRising",
                                "JsonAnswerValidityLow"}
    assert {(sli.model, sli.kind) for sli in slis(mvp)} == {
        (name, kind) for name in ("chat", "chat-smart", "chat-anthropic")
        for kind in ("ttft", "availability", "errors")}


def test_latency_sli_interpolates_between_buckets_and_is_exact_on_a_bound():
    assert interpolated_good(m.TRTLLM_TTFT_BUCKETS, 1.0) == [(1.0, 1.0)]
    (lo, w_lo), (hi, w_hi) = interpolated_good(m.TRTLLM_TTFT_BUCKETS, 2.0)
    assert (lo, hi) == (1.0, 2.5) and w_lo == pytest.approx(1 / 3) and w_hi == pytest.approx(2 / 3)
    assert interpolated_good((0.01, 0.025), 0.005) == [(0.01, 0.5)]
    with pytest.raises(ValueError, match="above the largest histogram bucket"):
        interpolated_good(m.TRTLLM_TPOT_BUCKETS, 100.0)


def test_burn_windows_a_ratio_cannot_reach_are_left_out():
    spec = load_spec("startup-mvp", "prod", overrides={"serving": {"models": [{"slo": {"max_error_ratio": 0.2}}]}})
    errors = [rule for group in rule_files(spec)["slo.rules.yaml"]["groups"] for rule in group["rules"]
              if rule.get("alert") == "ModelErrorBudgetBurn" and rule["labels"]["model"] == "chat"]
    # budget 0.2: 14.4x = 2.88 and 6x = 1.2 can never be exceeded by a ratio; only the 1x window remains.
    assert [rule["labels"]["burn_window"] for rule in errors] == ["3d/6h"]


# ---- promtool test rules ------------------------------------------------------------------------------------


def _counter(per_step: float, steps: int) -> str:
    return f"0+{per_step:g}x{steps}"


def _sli_series(spec: PlatformSpec, model: str, kind: str, bad_ratio: float, steps: int) -> list[dict[str, str]]:
    """Input series that make one SLI's bad-event ratio exactly `bad_ratio` (100 events per step)."""
    good, bad = 100 * (1 - bad_ratio), 100 * bad_ratio
    spec_model = next(model_ for model_ in spec.serving.models if model_.name == model)
    gateway = {GATEWAY_MODEL_LABEL: model}
    if kind in ("ttft", "tpot"):
        if spec_model.hosting == "self-hosted":
            histogram, buckets = ((m.TRTLLM_TTFT, m.TRTLLM_TTFT_BUCKETS) if kind == "ttft"
                                  else (m.TRTLLM_TPOT, m.TRTLLM_TPOT_BUCKETS))
            labels = {SERVED_MODEL_LABEL: model}
        else:
            histogram, buckets, labels = m.LITELLM_TTFT, m.LITELLM_LATENCY_BUCKETS, gateway
        threshold = (spec_model.slo.ttft_p95_ms if kind == "ttft" else spec_model.slo.tpot_p95_ms) / 1000
        # Every bucket the SLI reads holds the good requests, so the interpolated count is exactly `good`.
        series = [input_series(f"{histogram}_bucket", {**labels, "le": m.le_label(bound)}, _counter(good, steps))
                  for bound, _weight in interpolated_good(buckets, threshold)]
        return [*series, input_series(f"{histogram}_count", labels, _counter(100, steps))]
    if kind == "availability":
        return [input_series(m.LITELLM_REQUESTS, {**gateway, "status_code": "503"}, _counter(bad, steps)),
                input_series(m.LITELLM_REQUESTS, {**gateway, "status_code": "200"}, _counter(good, steps))]
    return [input_series(m.LITELLM_DEPLOYMENT_FAILURES, gateway, _counter(bad, steps)),
            input_series(m.LITELLM_DEPLOYMENT_REQUESTS, gateway, _counter(100, steps))]


def _promtool_test(tmp_path: Path, spec: PlatformSpec, tests: list[dict[str, Any]], file: str,
                   keep: Callable[[dict[str, Any]], bool] = lambda rule: True) -> None:
    """Unit-test one generated rule file (only the rules `keep` selects, to keep promtool fast)."""
    groups = [{**group, "rules": [rule for rule in group["rules"] if keep(rule)]}
              for group in rule_files(spec)[file]["groups"]]
    paths = write_rule_files({file: {"groups": groups}}, tmp_path, strip_annotations=True)
    document = {"rule_files": [path.name for path in paths], "evaluation_interval": "1m", "tests": tests}
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    result = run("test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def _alert_case(interval: str, series: list[dict[str, str]], eval_time: str, alertname: str,
                expected: list[dict[str, str]]) -> dict[str, Any]:
    return {"interval": interval, "input_series": series, "alert_rule_test": [
        {"eval_time": eval_time, "alertname": alertname, "exp_alerts": [{"exp_labels": labels} for labels in expected]}
    ]}


SLO_CASES = [  # (preset, model, kind)
    ("regulated-industry", "reg-large", "ttft"),   # 2000 ms: interpolated between the 1.0 s and 2.5 s buckets
    ("regulated-industry", "reg-small", "tpot"),   # 40 ms: between 25 ms and 50 ms
    ("regulated-industry", "reg-large", "availability"),
    ("regulated-industry", "reg-small", "errors"),
    ("startup-mvp", "chat", "ttft"),               # Bedrock: measured at the gateway
]


@pytest.mark.parametrize(("preset", "model", "kind"), SLO_CASES)
def test_slo_burn_rate_alerts_fire_per_window_and_stay_silent_within_budget(tmp_path, preset, model, kind):
    spec = load_spec(preset, "prod")
    sli = next(sli for sli in slis(spec) if sli.model == model and sli.kind == kind)
    alertname = {"ttft": "ModelTTFTBudgetBurn", "tpot": "ModelTPOTBudgetBurn",
                 "availability": "ModelAvailabilityBudgetBurn", "errors": "ModelErrorBudgetBurn"}[kind]
    steps = 60 * 8  # 8 hours of 1-minute samples: every window but 3d is full; rate() extrapolates the rest

    def expected(*windows: str) -> list[dict[str, str]]:
        severity = {f"{b.long}/{b.short}": b.severity for b in BURN_WINDOWS}
        return [{"severity": severity[w], "burn_window": w, "model": model, "slo": kind} for w in windows]

    cases = [
        # Almost everything bad: all three burn rates exceeded.
        (0.9, expected("1h/5m", "6h/30m", "3d/6h")),
        # Twice the budget: only the slow (ticket) window.
        (2 * sli.budget, expected("3d/6h")),
        # Half the budget: silent.
        (0.5 * sli.budget, []),
    ]
    tests = [_alert_case("1m", _sli_series(spec, model, kind, ratio, steps), "8h", alertname, alerts)
             for ratio, alerts in cases]
    _promtool_test(tmp_path, spec, tests, "slo.rules.yaml",
                   keep=lambda rule: rule["labels"] == {**rule["labels"], "model": model, "slo": kind})


def test_serving_alerts_kv_cache_and_queue_growth(tmp_path, regulated):
    model = {MODEL_LABEL: "reg-large"}
    pod = {SERVED_MODEL_LABEL: "reg-large", "pod": "reg-large-0"}
    tests = [
        _alert_case("1m", [input_series(m.TRTLLM_KV_CACHE_UTILIZATION, pod, "0.97x30")], "20m",
                    "ModelKVCacheSaturated", [{"severity": "warning", **model}]),
        # Saturated for only 5 minutes: still pending, not firing.
        _alert_case("1m", [input_series(m.TRTLLM_KV_CACHE_UTILIZATION, pod, "0.5x14 0.97x5")], "19m",
                    "ModelKVCacheSaturated", []),
        _alert_case("1m", [input_series(m.TRTLLM_REQUESTS_WAITING, pod, "10+2x40"),
                           input_series(m.TRTLLM_REQUESTS_RUNNING, pod, "8x40")], "35m",
                    "ModelQueueGrowing", [{"severity": "warning", **model}]),
        # A growing queue that is still shorter than the running batch: silent.
        _alert_case("1m", [input_series(m.TRTLLM_REQUESTS_WAITING, pod, "0+0.1x40"),
                           input_series(m.TRTLLM_REQUESTS_RUNNING, pod, "8x40")], "35m",
                    "ModelQueueGrowing", []),
    ]
    _promtool_test(tmp_path, regulated, tests, "serving.rules.yaml")


def test_triton_queue_alert_reads_tritons_pending_requests(tmp_path):
    """With `serving.engine: triton` the queue alert reads Triton's own gauge (no KV-cache alert: no such gauge)."""
    spec = load_spec("internal-ai", "prod", overrides={"serving": {"engine": "triton"}})
    assert [rule["alert"] for rule in rule_files(spec)["serving.rules.yaml"]["groups"][0]["rules"]] == [
        "ModelQueueGrowing"]
    pod = {"model": "corp-small", "version": "1", SERVED_MODEL_LABEL: "corp-small", "pod": "corp-small-0"}
    tests = [
        _alert_case("1m", [input_series(m.TRITON_PENDING_REQUESTS, pod, "0+1x40")], "35m",
                    "ModelQueueGrowing", [{"severity": "warning", MODEL_LABEL: "corp-small"}]),
        _alert_case("1m", [input_series(m.TRITON_PENDING_REQUESTS, pod, "0x40")], "35m", "ModelQueueGrowing", []),
    ]
    _promtool_test(tmp_path, spec, tests, "serving.rules.yaml")


def test_gpu_health_alerts(tmp_path, regulated):
    gpu = {"gpu": "0", "Hostname": "ip-10-0-1-1"}
    tests = [
        _alert_case("1m", [input_series(m.DCGM_XID, gpu, "0x5 79x5")], "8m", "GPUXidError",
                    [{"severity": "critical", **gpu}]),
        _alert_case("1m", [input_series(m.DCGM_XID, gpu, "0x10")], "8m", "GPUXidError", []),
        _alert_case("1m", [input_series(m.DCGM_TEMP, gpu, "90x20")], "15m", "GPUTemperatureHigh",
                    [{"severity": "warning", **gpu}]),
        _alert_case("1m", [input_series(m.DCGM_TEMP, gpu, "70x20")], "15m", "GPUTemperatureHigh", []),
        _alert_case("1m", [input_series(m.DCGM_ECC_DBE, gpu, "0x5 1x10"),
                           input_series(m.DCGM_ROW_REMAP_FAILURE, gpu, "0x15")],
                    "8m", "GPUMemoryErrors", [{"severity": "critical", **gpu}]),
        _alert_case("1m", [input_series(m.DCGM_ECC_DBE, gpu, "3x15"),
                           input_series(m.DCGM_ROW_REMAP_FAILURE, gpu, "0x15")],
                    "8m", "GPUMemoryErrors", []),
    ]
    _promtool_test(tmp_path, regulated, tests, "gpu.rules.yaml")


def test_capacity_alerts_karpenter_and_keda(tmp_path, regulated):
    create = {"controller": "nodeclaim.lifecycle", "method": "Create", "provider": "aws",
              "error": "InsufficientCapacityError"}
    gpu_pool = {"nodepool": "large", "resource_type": "nvidia.com/gpu"}
    scaler = {"exported_namespace": "serving", "scaledObject": "reg-large", "scaler": "prometheusScaler",
              "type": "scaledobject"}
    tests = [
        _alert_case("1m", [input_series(m.KARPENTER_CLOUDPROVIDER_ERRORS, create, "0+1x40")], "35m",
                    "KarpenterProvisioningFailures", [{"severity": "warning", "error": "InsufficientCapacityError"}]),
        _alert_case("1m", [input_series(m.KARPENTER_CLOUDPROVIDER_ERRORS, {**create, "method": "Delete"}, "0+1x40")],
                    "35m", "KarpenterProvisioningFailures", []),
        _alert_case("1m", [input_series(m.KARPENTER_NODEPOOL_USAGE, gpu_pool, "15x30"),
                           input_series(m.KARPENTER_NODEPOOL_LIMIT, gpu_pool, "16x30")], "20m",
                    "KarpenterNodePoolGPULimitNear", [{"severity": "warning", **gpu_pool}]),
        _alert_case("1m", [input_series(m.KARPENTER_NODEPOOL_USAGE, gpu_pool, "4x30"),
                           input_series(m.KARPENTER_NODEPOOL_LIMIT, gpu_pool, "16x30")], "20m",
                    "KarpenterNodePoolGPULimitNear", []),
        _alert_case("1m", [input_series(m.KEDA_SCALER_ERRORS, scaler, "0+1x30")], "20m", "KEDAScalerErrors",
                    [{"severity": "warning", "exported_namespace": "serving", "scaledObject": "reg-large"}]),
        _alert_case("1m", [input_series(m.KEDA_SCALER_ERRORS, scaler, "2x30")], "20m", "KEDAScalerErrors", []),
    ]
    _promtool_test(tmp_path, regulated, tests, "capacity.rules.yaml")


def test_gateway_fallback_rate_alert_uses_the_models_error_ratio(tmp_path, regulated):
    primary = {GATEWAY_MODEL_LABEL: "reg-large"}
    fallback = {**primary, "fallback_model": "reg-small"}

    def case(fallbacks_per_minute: float, expected: list[dict[str, str]]) -> dict[str, Any]:
        return _alert_case("1m", [input_series(m.LITELLM_REQUESTS, {**primary, "status_code": "200"}, "0+100x40"),
                                  input_series(m.LITELLM_FALLBACKS_OK, fallback, _counter(fallbacks_per_minute, 40))],
                           "30m", "GatewayFallbackRateHigh", expected)

    # max_error_ratio is 0.01: 10% of requests falling back fires, 0.5% does not.
    _promtool_test(tmp_path, regulated, [case(10, [{"severity": "warning", "model": "reg-large"}]), case(0.5, [])],
                   "gateway.rules.yaml")


def test_cost_recording_rules_price_nodes_and_alert_above_budget(tmp_path, regulated):
    prices = instance_prices(regulated)
    system, gpu = "m7i.xlarge", "g6e.12xlarge"
    node_labels = [
        input_series(m.KSM_NODE_LABELS, {"node": "sys-1", "label_node_kubernetes_io_instance_type": system}, "1x30"),
        input_series(m.KSM_NODE_LABELS, {"node": "gpu-1", "label_node_kubernetes_io_instance_type": gpu,
                                    "label_karpenter_sh_capacity_type": "spot"}, "1x30"),
    ]
    recording = {"interval": "1m", "input_series": node_labels, "promql_expr_test": [{
        "expr": "blueprints:cluster_cost:usd_per_hour", "eval_time": "10m",
        "exp_samples": [{"labels": "blueprints:cluster_cost:usd_per_hour",
                         "value": prices[(system, "")] + prices[(gpu, "spot")]}],
    }]}
    budget_per_hour = regulated.budget.monthly_usd / 730

    def spend(usd_per_hour: float, expected: list[dict[str, str]]) -> dict[str, Any]:
        series = [input_series(m.LITELLM_SPEND, {"model": "openai/reg-large"}, _counter(usd_per_hour / 12, 110))]
        return _alert_case("5m", series, "9h", "PlatformCostAboveBudget", expected)

    _promtool_test(tmp_path, regulated, [recording, spend(1.5 * budget_per_hour, [{"severity": "warning"}]),
                                         spend(0.5 * budget_per_hour, [])], "cost.rules.yaml")
