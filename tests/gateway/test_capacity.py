"""Gateway replicas from the planned peak and the measured per-core throughput, as rendered into the HPA and the
Deployment (validated against the Kubernetes schema)."""

from __future__ import annotations

import math

import pytest

from blueprints.gateway.capacity import HPA_CPU_UTILIZATION, MEASURED, gateway_sizing
from blueprints.gateway.manifests import gateway_manifests
from blueprints.presets import load_spec
from tests.support.schemas import validate_manifest

PRESETS = ["saas", "enterprise-assistant", "internal-ai", "regulated-industry"]


def rendered(spec) -> dict[str, dict]:
    objects = gateway_manifests(spec, spec.regions[0], endpoints={}, redis_host="valkey", redis_port="6379",
                                vpc_cidr="10.0.0.0/16", routing_namespaces=[], audit_bucket="audit")
    return {o["kind"]: o for o in objects}


def busy(preset: str, rps: float):
    """`preset` (prod) with every model's planned peak at `rps`."""
    spec = load_spec(preset, "prod")
    return load_spec(preset, "prod", overrides={"serving": {"models": [
        {"traffic": {"requests_per_second": rps}} for _ in spec.serving.models]}})


@pytest.mark.parametrize("preset", PRESETS)
def test_the_presets_fit_their_availability_floor(preset: str) -> None:
    spec = load_spec(preset, "prod")
    sizing = gateway_sizing(spec)
    assert sizing.peak_rps == sum(m.traffic.requests_per_second for m in spec.serving.models)
    assert sizing.cores_at_peak <= spec.gateway.replicas * spec.gateway.cpu
    assert (sizing.replicas, sizing.max_replicas) == (spec.gateway.replicas, spec.gateway.hpa_max_replicas)


def test_a_peak_beyond_the_floor_raises_replicas_and_ceiling() -> None:
    spec = busy("saas", 500.0)
    peak = 500.0 * len(spec.serving.models)
    per_replica = MEASURED.rps_per_core * HPA_CPU_UTILIZATION / 100 * spec.gateway.cpu
    objects = rendered(spec)
    hpa, deployment = objects["HorizontalPodAutoscaler"], objects["Deployment"]
    assert validate_manifest(hpa) == [] and validate_manifest(deployment) == []
    assert hpa["spec"]["minReplicas"] == deployment["spec"]["replicas"] == math.ceil(peak / per_replica)
    assert hpa["spec"]["maxReplicas"] == math.ceil(peak * spec.gateway.limit_headroom / per_replica)
    assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == HPA_CPU_UTILIZATION
    assert gateway_sizing(spec).line().startswith(f"gateway: {hpa['spec']['minReplicas']}-")
