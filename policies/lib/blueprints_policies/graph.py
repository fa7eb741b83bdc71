"""The resource graph the offline engine produces (blueprints.engine.graph), as the policy library reads it.

`Record`/`Graph` mirror the engine's models field for field so tests and fixtures can build graphs
without running a program; evaluate() accepts either (duck-typed through the Protocols).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field


class RecordLike(Protocol):
    type: str
    name: str
    urn: str
    parent: str | None
    custom: bool
    provider: str | None
    dependencies: list[str]
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    protect: bool
    region: str | None


class GraphLike(Protocol):
    project: str
    stack: str
    stack_config: dict[str, Any]

    @property
    def resources(self) -> Sequence[RecordLike]: ...


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    name: str
    urn: str
    parent: str | None = None
    custom: bool = True
    provider: str | None = None
    dependencies: list[str] = Field(default_factory=list)
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    protect: bool = False
    region: str | None = None
    source: list[str] = Field(default_factory=list)


class Graph(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project: str = "blueprints"
    stack: str = "test"
    resources: list[Record] = Field(default_factory=list)
    stack_outputs: dict[str, Any] = Field(default_factory=dict)
    stack_config: dict[str, Any] = Field(default_factory=dict)


def urn_for(stack: str, project: str, type_: str, name: str, parent_types: Sequence[str] = ()) -> str:
    """A Pulumi URN: urn:pulumi:<stack>::<project>::<parent types joined by $>$<type>::<name>."""
    qualified = "$".join([*parent_types, type_])
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"
