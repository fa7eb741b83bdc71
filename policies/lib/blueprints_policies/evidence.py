"""Evidence for a finding: the offending property values of the resource it names, and where in the program the
resource was registered (for SARIF physicalLocation).

Check messages name the properties they judge as wire-form paths (`blockDeviceMappings[0].ebs.encrypted`,
`securityContext.privileged`, `retentionInDays`); each such path is looked up in the resource's inputs at every
depth (a container path matches every container), and its value is the evidence: `None` when the property is absent,
which for AWS usually means the insecure default.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .graph import GraphLike, RecordLike

LIMIT = 8
PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]\s]+\])*(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]\s]+\])*)*")
STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[['\"]([^'\"]+)['\"]\]")
ABSENT = object()


def _steps(path: str) -> list[str | int]:
    return [name or (int(index) if index else key) for name, index, key in STEP.findall(path)]


def _resolve(node: Any, steps: list[str | int]) -> Any:
    """The value at `steps` under `node`; ABSENT when only the last step is missing; KeyError when an earlier step
    is missing (the path is not this node's)."""
    for position, step in enumerate(steps):
        last = position == len(steps) - 1
        indexable = isinstance(node, list) and isinstance(step, int) and step < len(node)
        if indexable or (isinstance(node, Mapping) and isinstance(step, str) and step in node):
            node = node[step]
        elif last and isinstance(node, Mapping):
            return ABSENT
        else:
            raise KeyError(step)
    return node


def _nodes(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every mapping under `node` with its path, the root first."""
    if isinstance(node, Mapping):
        yield prefix, node
        for key, value in node.items():
            yield from _nodes(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nodes(value, f"{prefix}[{index}]")


def _join(prefix: str, path: str) -> str:
    return f"{prefix}.{path}" if prefix else path


def values(props: Mapping[str, Any], message: str, limit: int = LIMIT) -> dict[str, Any]:
    """`{"<full path>": value}` for the property paths the message names, as found in `props` (None: absent)."""
    found: dict[str, Any] = {}
    candidates = dict.fromkeys(m.group(0) for m in PATH.finditer(message))
    for candidate in candidates:
        steps = _steps(candidate)
        single = len(steps) == 1
        if single and not (candidate[0].islower() and any(c.isupper() for c in candidate)):
            continue  # plain words and acronyms of the message; wire-form properties are camelCase
        for prefix, node in _nodes(props):
            if single and candidate not in node and prefix:
                continue
            try:
                value = _resolve(node, steps)
            except KeyError:
                continue
            found[_join(prefix, candidate)] = None if value is ABSENT else value
            if len(found) >= limit:
                return found
    return found


@dataclass(frozen=True)
class Location:
    """A place in the repository: `path` relative to its root, 1-based `line`."""

    path: str
    line: int

    @classmethod
    def parse(cls, text: str) -> Location | None:
        path, _, line = text.rpartition(":")
        return cls(path, int(line)) if path and line.isdigit() else None


def stack_file(graph: GraphLike, root: Path) -> Location:
    """The stack's config file when the repository has one (stacks/Pulumi.<stack>.yaml), else Pulumi.yaml."""
    candidate = Path("stacks") / f"Pulumi.{graph.stack}.yaml"
    return Location((candidate if (root / candidate).exists() else Path("Pulumi.yaml")).as_posix(), 1)


def locations(record: RecordLike | None) -> list[Location]:
    """Where the program registered the resource, innermost frame first (the engine's `source`)."""
    if record is None:
        return []
    return [loc for loc in (Location.parse(s) for s in getattr(record, "source", []) or []) if loc is not None]


@cache
def defines_component(path: Path) -> bool:
    """Whether a program file declares a Pulumi ComponentResource (a component, not a helper it calls)."""
    try:
        return "(pulumi.ComponentResource)" in path.read_text() or "(ComponentResource)" in path.read_text()
    except OSError:
        return False
