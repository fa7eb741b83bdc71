"""Gateway replicas from the planned peak, the share of it that streams, the features the spec turns on and the
measured CPU per request (MEASURED), as rendered into the HPA and the Deployment (validated against the Kubernetes
schema) and printed by `plan`."""

from __future__ import annotations

import math
from datetime import date

import pytest

from bench import gateway_overhead
from blueprints.cli import main
from blueprints.gateway.capacity import (
    GUARDED,
    HPA_CPU_UTILIZATION,
    MEASURED,
    PLAIN,
    STREAM_CHUNKS,
    cost_drivers,
    gateway_sizing,
)
from blueprints.gateway.manifests import gateway_manifests
from blueprints.plan import build_plan
from blueprints.presets import load_spec
from tests.support.schemas import validate_manifest

PRESETS = ["saas", "enterprise-assistant", "internal-ai", "regulated-industry"]


def rendered(spec) -> dict[str, dict]:
    objects = gateway_manifests(spec, spec.regions[0], endpoints={}, redis_host="valkey", redis_port="6379",
                                vpc_cidr="10.0.0.0/16", routing_namespaces=[], audit_bucket="audit")
    return {o["kind"]: o for o in objects}


def busy(preset: str, rps: float, streamed_share: float = 1.0):
    """`preset` (prod) with every model's planned peak at `rps`, `streamed_share` of it streamed."""
    spec = load_spec(preset, "prod")
    return load_spec(preset, "prod", overrides={"serving": {"models": [
        {"traffic": {"requests_per_second": rps, "streamed_share": streamed_share}} for _ in spec.serving.models]}})


@pytest.mark.parametrize("preset", PRESETS)
def test_the_presets_fit_their_availability_floor(preset: str) -> None:
    spec = load_spec(preset, "prod")
    sizing = gateway_sizing(spec)
    assert sizing.peak_rps == sum(m.traffic.requests_per_second for m in spec.serving.models)
    assert sizing.cores_at_peak <= spec.gateway.replicas * spec.gateway.cpu
    assert (sizing.replicas, sizing.max_replicas) == (spec.gateway.replicas, spec.gateway.hpa_max_replicas)


def test_the_measured_table_has_both_configs_both_modes_and_its_provenance() -> None:
    assert set(MEASURED) == {"saas-like", "regulated-like"}
    for cost in MEASURED.values():
        assert 0 < cost.non_streamed_ms < cost.streamed_ms, cost
        assert cost.measured_on and cost.machine and "bench/gateway_overhead.py" in cost.source
    assert GUARDED.streamed_ms > PLAIN.streamed_ms  # the features cost per chunk, a whole answer barely differs
    # The streams measured are the bench's: one content chunk per output token from the fake backend.
    assert STREAM_CHUNKS == gateway_overhead.OUTPUT_TOKENS


def test_a_mostly_streamed_regulated_platform_needs_more_cores_than_a_non_streamed_one() -> None:
    streamed, whole = busy("regulated-industry", 100.0, 0.9), busy("regulated-industry", 100.0, 0.0)
    more, fewer = gateway_sizing(streamed), gateway_sizing(whole)
    assert more.cores_at_peak > fewer.cores_at_peak and more.replicas > fewer.replicas
    for spec, sizing, share in ((streamed, more, 0.9), (whole, fewer, 0.0)):
        cpu_ms = share * GUARDED.streamed_ms + (1 - share) * GUARDED.non_streamed_ms
        assert sizing.cpu_ms_per_request == pytest.approx(cpu_ms)
        usable = 1000 / cpu_ms * HPA_CPU_UTILIZATION / 100
        assert sizing.cores_at_peak == math.ceil(sizing.peak_rps / usable)
        assert sizing.replicas == max(spec.gateway.replicas, math.ceil(sizing.peak_rps / (usable * spec.gateway.cpu)))


def test_the_streamed_share_is_weighted_by_each_models_rate() -> None:
    spec = load_spec("saas", "prod", overrides={"serving": {"models": [
        {"traffic": {"requests_per_second": 30, "streamed_share": 1.0}},
        {"traffic": {"requests_per_second": 10, "streamed_share": 0.2}}]}})
    sizing = gateway_sizing(spec)
    assert sizing.streamed_share == pytest.approx((30 * 1.0 + 10 * 0.2) / 40)
    assert sizing.cpu_ms_per_request == pytest.approx(PLAIN.cpu_ms(sizing.streamed_share))


def test_the_cost_follows_the_features_that_drive_it() -> None:
    regulated, saas = load_spec("regulated-industry", "prod"), load_spec("saas", "prod")
    assert cost_drivers(regulated) == ("gateway.pii_masking", "content-safety guardrail", "response guardrails",
                                       "observability.tracing")
    assert gateway_sizing(regulated).cost == GUARDED
    assert cost_drivers(saas) == () and gateway_sizing(saas).cost == PLAIN
    traced = load_spec("saas", "prod", overrides={"observability": {"tracing": True}})
    assert cost_drivers(traced) == ("observability.tracing",) and gateway_sizing(traced).cost == GUARDED


def test_a_peak_beyond_the_floor_raises_replicas_and_ceiling() -> None:
    spec = busy("saas", 500.0)
    peak = 500.0 * len(spec.serving.models)
    per_replica = 1000 / PLAIN.streamed_ms * HPA_CPU_UTILIZATION / 100 * spec.gateway.cpu
    objects = rendered(spec)
    hpa, deployment = objects["HorizontalPodAutoscaler"], objects["Deployment"]
    assert validate_manifest(hpa) == [] and validate_manifest(deployment) == []
    assert hpa["spec"]["minReplicas"] == deployment["spec"]["replicas"] == math.ceil(peak / per_replica)
    assert hpa["spec"]["maxReplicas"] == math.ceil(peak * spec.gateway.limit_headroom / per_replica)
    assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == HPA_CPU_UTILIZATION
    assert gateway_sizing(spec).line().startswith(f"gateway: {hpa['spec']['minReplicas']}-")


def test_plan_prints_the_streamed_share_and_the_config_cost(graph_of) -> None:
    spec = load_spec("regulated-industry", "prod")
    sizing = gateway_sizing(spec)
    line = build_plan(spec, graph_of("regulated-industry", "prod"), date(2026, 12, 4)).summary["gateway"]
    assert line == sizing.line()
    assert f"{sizing.streamed_share:.0%} streamed" in line
    assert (f"{sizing.cpu_ms_per_request:.1f} ms CPU per request = {1000 / sizing.cpu_ms_per_request:.0f} req/s per "
            f"core, regulated-like config (gateway.pii_masking, content-safety guardrail, response guardrails, "
            f"observability.tracing) measured {GUARDED.measured_on}") in line


def test_a_streamed_share_outside_0_to_1_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "--preset", "regulated-industry", "--env", "prod",
                 "--set", "serving.models[0].traffic.streamed_share=1.5"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert ("overrides.serving.models[0].traffic.streamed_share: Input should be less than or equal to 1 (got 1.5)"
            in err)
