"""Small graph builders for tests (fixture records named like the engine's)."""

from typing import Any

from blueprints_policies.graph import Graph, Record, urn_for


def record(type_: str, name: str, props: dict[str, Any] | None = None, *, parent: Record | None = None,
           outputs: dict[str, Any] | None = None, region: str | None = None) -> Record:
    parent_types = [t for t in (parent.urn.split("::")[2].split("$") if parent else [])]
    return Record(type=type_, name=name, urn=urn_for("test", "blueprints", type_, name, parent_types),
                  parent=parent.urn if parent else None, custom=not type_.startswith("blueprints:"),
                  inputs=props or {}, outputs=outputs if outputs is not None else dict(props or {}), region=region)


def graph(*records: Record, **stack_config: Any) -> Graph:
    return Graph(resources=list(records), stack_config=stack_config)
