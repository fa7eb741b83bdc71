"""The pins in blueprints/versions.py: released versions only, a supported EKS version with its add-ons, and
third-party images deployed by digest where the digest is known."""

from __future__ import annotations

from datetime import timedelta

import kubernetes_validate.utils
import pytest
from blueprints_policies.k8s import each_container

from blueprints.catalog.aws_prices import PRICES_AS_OF
from blueprints.contracts.images import PRERELEASE
from blueprints.errors import SpecError
from blueprints.presets import ENVIRONMENTS, load_spec, preset_names
from blueprints.versions import (
    AURORA_POSTGRESQL_VERSION,
    BATCH_WORKER_TAG,
    CHARTS,
    EKS_ADDONS,
    EKS_NODE_AMI_ALIAS,
    EKS_VERSIONS,
    IMAGES,
    KUBERNETES_VERSION,
    PYTHON_IMAGE,
    SERVING_IMAGE_TAGS,
    VALKEY_ENGINE_VERSION,
)
from tests.support.helm import HELM_RELEASE, render_release

KNOWN_PRERELEASE = {
    "IMAGES[tensorrt-llm]": "1.3.0rc24. PyPI's tensorrt-llm release list, read 2026-12-04: the newest final "
    "release is 1.2.1 (2026-04-20); 1.3.0 never shipped final (1.3.0rc29 of 2026-09-29, then 1.4.0rc0/rc1). "
    "KEDA, the alerts and the endpoint picker read trtllm_num_requests_waiting and trtllm_kv_cache_utilization, "
    "which MetricsCollector (tensorrt_llm/metrics/collector.py) gained on main, the 1.3 line, with the trtllm_ "
    "prefix: PRs #11243 (2026-02-03) and #12545 (2026-03-25). The 1.2 line's collector has 5 unprefixed request "
    "series (request_success_total, e2e_request_latency_seconds, time_to_first_token_seconds, "
    "time_per_output_token_seconds, request_queue_time_seconds; labels model_name and engine_type, both "
    "'undefined' until #12545) and no gauge (a 1.2-era /prometheus/metrics dump: vllm-project/aibrix#2004; "
    "gateway-api-inference-extension#2596: the gauges 'are to be added to TensorRT-LLM 1.3.0'). The wheels are on "
    "pypi.nvidia.com, not reachable here, so collector.py at the v1.2.1 tag itself was not read. Leaving the rc "
    "means rebuilding autoscaling on rate(request_queue_time_seconds_sum) (Little's law: mean queue length), "
    "dropping the KV-cache trigger and alert, and taking trtllm-serve off the endpoint picker.",
    "SERVING_IMAGE_TAGS[trtllm-serve]": "our image built on IMAGES[tensorrt-llm] (above)",
}
"""Pre-release pins still in versions.py, each with why: this list may only shrink."""


def pins() -> dict[str, str]:
    found = {f"IMAGES[{key}]": image.tag for key, image in IMAGES.items()}
    found |= {f"CHARTS[{key}]": chart.version for key, chart in CHARTS.items()}
    found |= {f"SERVING_IMAGE_TAGS[{key}]": tag for key, tag in SERVING_IMAGE_TAGS.items()}
    found |= {f"EKS_ADDONS[{key}]": version for key, version in EKS_ADDONS.items()}
    found |= {"PYTHON_IMAGE": PYTHON_IMAGE.tag, "BATCH_WORKER_TAG": BATCH_WORKER_TAG,
              "EKS_NODE_AMI_ALIAS": EKS_NODE_AMI_ALIAS, "AURORA_POSTGRESQL_VERSION": AURORA_POSTGRESQL_VERSION,
              "VALKEY_ENGINE_VERSION": VALKEY_ENGINE_VERSION, "KUBERNETES_VERSION": KUBERNETES_VERSION}
    return found


@pytest.mark.parametrize("pin", ["1.3.0rc24", "2.0.0-beta.1", "0.9.dev3", "v1-alpha", "1.0.0-RC1", "3.1-preview"])
def test_the_marker_pattern_catches_pre_releases(pin: str) -> None:
    assert PRERELEASE.search(pin)


@pytest.mark.parametrize("pin", ["v1.81.16-stable", "26.09-trtllm-python-py3", "cpu-1.8", "v1.20.4-eksbuild.1",
                                 "al2023@v20251016", "3.12.12-slim-bookworm", "v26.7.0"])
def test_the_marker_pattern_passes_releases(pin: str) -> None:
    assert not PRERELEASE.search(pin)


def test_no_pre_release_pins_beyond_the_known_ones() -> None:
    prerelease = {name for name, pin in pins().items() if PRERELEASE.search(pin)}
    assert prerelease == set(KNOWN_PRERELEASE), f"pre-release pins: {sorted(prerelease - set(KNOWN_PRERELEASE))}"


def test_every_eks_version_of_the_calendar_gets_26_months() -> None:
    """EKS: 14 months of standard support from the EKS release, then 12 of extended support."""
    for version, support in EKS_VERSIONS.items():
        assert support.extended_support_ends.replace(year=support.extended_support_ends.year - 1) \
            == support.standard_support_ends, version


def test_presets_run_a_version_in_standard_support_past_the_policy_window() -> None:
    """As of the day the calendar was read, every preset x environment stays in standard support for more than
    the 60 days eks-standard-support-prod asks (1.33, the old pin, left standard support on 2026-07-29)."""
    for preset in preset_names():
        for environment in ENVIRONMENTS:
            version = load_spec(preset, environment).cluster.kubernetes_version
            assert EKS_VERSIONS[version].standard_support_ends - PRICES_AS_OF >= timedelta(days=60), (
                preset, environment, version)
    def minor(version: str) -> tuple[int, ...]:
        return tuple(map(int, version.split(".")))
    newer = [v for v in EKS_VERSIONS if minor(v) > minor(KUBERNETES_VERSION)]
    assert newer == [], f"a newer EKS version is in the calendar: {newer}"


def test_manifests_are_validated_against_the_pinned_kubernetes_version() -> None:
    """kubernetes-validate (the strict schema check the manifest tests run) ships schemas for the pin."""
    assert f"{KUBERNETES_VERSION}.0" in kubernetes_validate.utils.all_versions()


def test_kube_proxy_matches_the_kubernetes_minor() -> None:
    """EKS's kube-proxy add-on is built per Kubernetes minor (v<minor>.<patch>-eksbuild.N)."""
    assert EKS_ADDONS["kube-proxy"].startswith(f"v{KUBERNETES_VERSION}.")


def test_digests_are_recorded_with_their_source() -> None:
    for image in [*IMAGES.values(), PYTHON_IMAGE]:
        assert bool(image.digest) == bool(image.digest_source), image.repository
        assert image.ref.endswith(f"@{image.digest}") if image.digest else "@" not in image.ref


def _prod_images(graph) -> set[str]:
    found = set()
    for record in graph.resources:
        for _, container in each_container(record.type, record.inputs):
            found.add(str(container.get("image")))
        if record.type == HELM_RELEASE and record.inputs.get("chart", "").endswith("opentelemetry-collector"):
            for manifest in render_release(record).objects:
                found |= {str(c.get("image")) for _, c in each_container(
                    f"kubernetes:apps/v1:{manifest['kind']}", manifest)}
    return found


@pytest.mark.parametrize("preset", ["enterprise-assistant", "regulated-industry"])
def test_prod_deploys_third_party_images_by_their_digest(graph_of, preset: str) -> None:
    """Every container of the prod graph (and the collector chart as rendered) that runs a pinned third-party
    image names it with its digest, pull-through cache paths included."""
    images = _prod_images(graph_of(preset, "prod"))
    pinned = [image for image in [*IMAGES.values(), PYTHON_IMAGE] if image.digest]
    used = {image.repository: [ref for ref in images if image.repository.split("/", 1)[-1] in ref]
            for image in pinned}
    assert any(used.values()), "no pinned third-party image found in the prod graph"
    for image in pinned:
        for ref in used[image.repository]:
            # ours: repo:tag@digest; the collector chart writes repo@digest when image.digest is set
            assert ref.endswith((f":{image.tag}@{image.digest}", f"{image.repository}@{image.digest}")), ref


def test_an_eks_version_outside_the_calendar_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(SpecError, match=r"cluster\.kubernetes_version: unknown EKS version '1\.99' \(allowed: .*1\.35"):
        load_spec("saas", "prod", overrides={"cluster": {"kubernetes_version": "1.99"}})
