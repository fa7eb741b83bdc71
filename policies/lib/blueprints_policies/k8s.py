"""Readers for Kubernetes manifests as Pulumi sends them (valid manifests, numbers as floats)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .props import dig, items, number

GPU_RESOURCE = "nvidia.com/gpu"


def kind_of(resource_type: str) -> str:
    return resource_type.rsplit(":", 1)[-1]


def pod_spec(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The pod spec inside a Pod, a workload controller or a CronJob."""
    kind = kind_of(resource_type)
    if kind == "Pod":
        return dig(props, "spec", {}) or {}
    if kind == "CronJob":
        return dig(props, "spec.jobTemplate.spec.template.spec", {}) or {}
    return dig(props, "spec.template.spec", {}) or {}


def pod_labels(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, str]:
    kind = kind_of(resource_type)
    if kind == "Pod":
        return dig(props, "metadata.labels", {}) or {}
    if kind == "CronJob":
        return dig(props, "spec.jobTemplate.spec.template.metadata.labels", {}) or {}
    return dig(props, "spec.template.metadata.labels", {}) or {}


def containers(spec: Mapping[str, Any], include_init: bool = True) -> Iterator[Mapping[str, Any]]:
    yield from items(spec.get("containers"))
    if include_init:
        yield from items(spec.get("initContainers"))


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
