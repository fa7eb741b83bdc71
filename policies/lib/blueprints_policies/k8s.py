"""Readers for Kubernetes manifests as Pulumi sends them (valid manifests, numbers as floats)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .props import dig, items, number

GPU_RESOURCE = "nvidia.com/gpu"


PATCH_SUFFIX = "Patch"
POD_TEMPLATE = {"Pod": "", "PodTemplate": "template", "CronJob": "spec.jobTemplate.spec.template"}
"""Where the pod template sits in each kind (every other workload kind: spec.template)."""


def kind_of(resource_type: str) -> str:
    """The object kind; a `*Patch` resource patches an object of the kind it names."""
    return resource_type.rsplit(":", 1)[-1].removesuffix(PATCH_SUFFIX)


def is_patch(resource_type: str) -> bool:
    """A pulumi-kubernetes patch carries only the fields it sets: judge what it sets, not what it omits."""
    return resource_type.endswith(PATCH_SUFFIX)


def _template(resource_type: str) -> str:
    return POD_TEMPLATE.get(kind_of(resource_type), "spec.template")


def pod_spec(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The pod spec inside a Pod, a PodTemplate, a workload controller or a CronJob (or a patch of one)."""
    template = _template(resource_type)
    return dig(props, f"{template}.spec" if template else "spec", {}) or {}


def pod_labels(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, str]:
    template = _template(resource_type)
    return dig(props, f"{template}.metadata.labels" if template else "metadata.labels", {}) or {}


def containers(spec: Mapping[str, Any], include_init: bool = True) -> Iterator[Mapping[str, Any]]:
    """Containers, then (unless told otherwise) init and ephemeral (debug) containers, which run in the same pod
    with the same node access."""
    yield from items(spec.get("containers"))
    if include_init:
        yield from items(spec.get("initContainers"))
        yield from items(spec.get("ephemeralContainers"))


def gpu_count(container: Mapping[str, Any]) -> float:
    limits = dig(container, "resources.limits", {}) or {}
    requests = dig(container, "resources.requests", {}) or {}
    return max(number(limits.get(GPU_RESOURCE)) or 0.0, number(requests.get(GPU_RESOURCE)) or 0.0)


def namespace(props: Mapping[str, Any]) -> str:
    return dig(props, "metadata.namespace") or "default"


def name(props: Mapping[str, Any], fallback: str) -> str:
    return dig(props, "metadata.name") or fallback


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Kubernetes label-selector semantics for matchLabels and matchExpressions; an empty selector
    matches everything."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in items(selector.get("matchExpressions")):
        key, operator = expression.get("key"), expression.get("operator")
        values = items(expression.get("values"))
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def container_label(container: Mapping[str, Any]) -> str:
    return f"container {container.get('name', '?')!r}"


def each_container(
    resource_type: str, props: Mapping[str, Any], include_init: bool = True
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(label, container) for every container of a pod-bearing resource."""
    for container in containers(pod_spec(resource_type, props), include_init):
        yield container_label(container), container


def desired_replicas(props: Mapping[str, Any]) -> float:
    """spec.replicas, defaulting to 1 as the API server does."""
    value = number(dig(props, "spec.replicas"))
    return 1.0 if value is None else value
