"""Good and bad fixtures beside every policy (fixtures/<policy-id>.yaml), run through the same evaluator.

A fixture file maps fixture names (`good_*` must pass, `bad_*` must fail) to
`{resources: [{type, name, props, region?, parent?}], context?: {environment, residency}, expect?: [substr]}`.
Resource policies validate each resource's props as inputs; stack policies see them as outputs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from .evaluate import PackResult, evaluate_pack
from .graph import Graph, Record, urn_for
from .packs import Pack, PackEntry

FIXTURE_DIR = Path(__file__).parent / "fixtures"


class FixtureResource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    name: str
    props: dict[str, Any] = Field(default_factory=dict)
    region: str | None = None
    parent: str | None = None
    dependencies: list[str] = Field(default_factory=list)
    """Names of fixture resources this one depends on."""


class Fixture(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resources: list[FixtureResource]
    context: dict[str, Any] = Field(default_factory=dict)
    expect: list[str] = Field(default_factory=list)
    """Substrings that must each appear in some violation message (bad fixtures)."""


@cache
def load(policy_id: str) -> dict[str, Fixture]:
    path = FIXTURE_DIR / f"{policy_id}.yaml"
    if not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text()) or {}
    return {name: Fixture.model_validate(body) for name, body in raw.items()}


def graph(fixture: Fixture) -> Graph:
    urns: dict[str, str] = {}
    records = []
    for item in fixture.resources:
        parent = urns.get(item.parent) if item.parent else None
        parent_types = [r.type for r in records if r.urn == parent]
        urn = urn_for("test", "blueprints", item.type, item.name, parent_types)
        urns[item.name] = urn
        records.append(Record(type=item.type, name=item.name, urn=urn, parent=parent, inputs=item.props,
                              outputs=item.props, region=item.region,
                              dependencies=[urns[d] for d in item.dependencies]))
    return Graph(resources=records, stack_config=fixture.context)


def run(policy_id: str, fixture: Fixture, level: str = "mandatory") -> PackResult:
    pack = Pack(name="fixture", description=policy_id, entries=(PackEntry(policy=policy_id, enforcement=level),))
    return evaluate_pack(graph(fixture), pack)
