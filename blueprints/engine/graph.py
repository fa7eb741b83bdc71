"""The resource graph a program registers: what plan, render and check read."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

PLATFORM_TYPES = ("blueprints:platform:", "pulumi:pulumi:Stack")


class ResourceRecord(BaseModel):
    type: str
    """Pulumi type token, e.g. `aws:eks/cluster:Cluster`, `kubernetes:apps/v1:Deployment`."""
    name: str
    urn: str
    parent: str | None
    custom: bool
    """False for component resources (groupings), true for real cloud/Kubernetes objects."""
    provider: str | None
    dependencies: list[str]
    inputs: dict[str, Any]
    """Wire-form (camelCase) inputs, exactly as Pulumi sends them to the provider."""
    outputs: dict[str, Any]
    protect: bool
    region: str | None
    """The AWS region of the resource's provider (inherited by Kubernetes resources from their component)."""
    source: list[str] = []
    """`path:line` in the project that registered the resource, innermost frame first (engine/mocks.py)."""

    @property
    def component(self) -> str:
        """`blueprints:network:Network` -> `network`; for a plain resource, its owning component's area."""
        return self.type.split(":")[1] if self.type.startswith("blueprints:") else ""


class ResourceGraph(BaseModel):
    project: str
    stack: str
    resources: list[ResourceRecord]
    stack_outputs: dict[str, Any]
    stack_config: dict[str, Any]

    def by_urn(self) -> dict[str, ResourceRecord]:
        return {resource.urn: resource for resource in self.resources}

    def of_type(self, *types: str) -> list[ResourceRecord]:
        return [resource for resource in self.resources if resource.type in types]

    def top_component(self, resource: ResourceRecord, index: dict[str, ResourceRecord]) -> ResourceRecord | None:
        """The component directly under a platform wrapper that contains `resource` (itself included)."""
        node: ResourceRecord | None = resource
        while node is not None:
            parent = index.get(node.parent or "")
            if parent is None:
                return None
            if parent.type.startswith(PLATFORM_TYPES):
                return node if not node.custom else None
            node = parent
        return None
