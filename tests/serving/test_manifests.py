"""The model-server manifests validate against Kubernetes 1.33 and the upstream CRD schemas, and carry the
placement, security and probe settings the GPU pools and the images need."""

from __future__ import annotations

import kubernetes_validate
import pytest

from blueprints.conventions import GPU_TAINT, POOL_LABEL
from blueprints.presets import ENVIRONMENTS, load_spec
from blueprints.serving.manifests import model_manifests, namespace_manifests, startup_failure_threshold
from blueprints.versions import KUBERNETES_VERSION
from tests.support.schemas import validate_manifest as validate_with_crds


def validate_manifest(manifest: dict) -> list[str]:
    """Built-in API groups named `*.k8s.io` go to kubernetes-validate; the shared helper treats every dotted
    group as a custom resource."""
    if manifest["apiVersion"].rpartition("/")[0].endswith(".k8s.io"):
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            return [f"{manifest['kind']}: {error.message}"]
        return []
    return validate_with_crds(manifest)

CASES = [(preset, env, engine) for preset in ("internal-ai", "regulated-industry", "enterprise-assistant")
         for env in ENVIRONMENTS for engine in ("trtllm-serve", "triton")]


def all_manifests(preset: str, env: str, engine: str = "trtllm-serve"):
    # The endpoint picker cannot read Triton's gauges: Triton runs without inference routing (spec rule).
    unrouted = {"gateway": {"inference_routing": False}} if engine == "triton" else {}
    spec = load_spec(preset, env, {"serving": {"engine": engine}, **unrouted})
    for model in spec.self_hosted_models:
        objects = model_manifests(spec, model, region=spec.regions[0], bucket="bucket", image="repo/image:tag",
                                  metrics_url="http://prometheus:9090")
        yield spec, model, [*objects.shared, *(m for ms in objects.per_version.values() for m in ms)]


@pytest.mark.parametrize(("preset", "env", "engine"), CASES)
def test_manifests_validate(preset, env, engine):
    problems = [problem for manifest in namespace_manifests() for problem in validate_manifest(manifest)]
    for _, _, manifests in all_manifests(preset, env, engine):
        problems += [problem for manifest in manifests for problem in validate_manifest(manifest)]
    assert problems == []


def test_pods_land_on_their_gpu_pool_with_tight_security():
    for spec, model, manifests in all_manifests("internal-ai", "prod"):
        for deployment in (m for m in manifests if m["kind"] == "Deployment"):
            pod = deployment["spec"]["template"]["spec"]
            container = pod["containers"][0]
            assert pod["nodeSelector"] == {POOL_LABEL: model.gpu_pool}
            assert pod["tolerations"] == [{"key": GPU_TAINT["key"], "operator": "Exists", "effect": "NoSchedule"}]
            assert container["resources"]["limits"]["nvidia.com/gpu"] == str(model.tp)
            assert container["resources"]["requests"] == container["resources"]["limits"]
            assert container["securityContext"] == {"allowPrivilegeEscalation": False,
                                                    "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                                                    "capabilities": {"drop": ["ALL"]}}
            assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
            assert {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "64Gi"}} in pod["volumes"] \
                or any(v["name"] == "dshm" and v["emptyDir"]["medium"] == "Memory" for v in pod["volumes"])
            zone = pod["topologySpreadConstraints"][0]
            assert (zone["topologyKey"], zone["whenUnsatisfiable"]) == ("topology.kubernetes.io/zone",
                                                                        "DoNotSchedule")
            assert container["startupProbe"]["failureThreshold"] == startup_failure_threshold(spec, model)
            assert container["readinessProbe"]["httpGet"]["path"] == "/health"
            assert container["livenessProbe"]["httpGet"]["path"] == "/health"


def test_startup_probe_grows_with_model_size():
    spec = load_spec("internal-ai", "prod")
    large, small = spec.serving.models
    # 72.6 GB (70B FP8): (72.6e9 / 400 MB/s sync + / 1.5 GB/s load + 300 s warm-up) x 2 = 1060 s.
    assert startup_failure_threshold(spec, large) == 106 + 1
    # 9.1 GB (8B FP8): (22.7 + 6.1 + 300) x 2 = 658 s.
    assert startup_failure_threshold(spec, small) == 66


def test_scaled_objects_follow_the_planner_and_environment():
    for env, floor in (("dev", 0), ("prod", 2)):
        for _, model, manifests in all_manifests("regulated-industry", env):
            scaled = next(m for m in manifests if m["kind"] == "ScaledObject")["spec"]
            assert (scaled["minReplicaCount"], scaled["maxReplicaCount"]) == (floor, model.max_replicas)
            names = [trigger["name"] for trigger in scaled["triggers"]]
            wakes = ["gateway-requests"] if floor == 0 else []
            assert names == ["waiting-requests", "kv-cache-utilization", *wakes]
            assert 'trtllm_num_requests_waiting{namespace="models"' in scaled["triggers"][0]["metadata"]["query"]
            assert scaled["triggers"][1]["metadata"]["threshold"] == "0.8"


def test_managed_prometheus_signs_queries():
    spec, _, manifests = next(all_manifests("enterprise-assistant", "prod"))
    assert spec.observability.stack == "managed"
    trigger = next(m for m in manifests if m["kind"] == "ScaledObject")["spec"]["triggers"][0]
    assert trigger["metadata"]["awsRegion"] == "us-east-1"
    assert trigger["authenticationRef"] == {"name": "amazon-managed-prometheus",
                                            "kind": "ClusterTriggerAuthentication"}
