"""`contains_unknowns` of the Pulumi SDK, without the reference cycle each call of the SDK's own leaves behind.

pulumi/runtime/rpc.py (`contains_unknowns`, pulumi 3.272.0) defines a recursive closure on every call: the function,
its cell and its annotations form a cycle that only the cyclic garbage collector frees. An offline plan calls it
about 40 000 times, which makes two thirds of the objects the collector must trace after a program run (its pause
ends in a pass over everything the run allocated: blueprints/engine/collector.py). `contains_unknowns` here answers
the same (tests/engine/test_unknowns.py compares the two) with a module-level recursion; `acyclic_unknowns` puts it
in the SDK's place while the engine runs a program under mocks, and only then.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pulumi.runtime import known_types, rpc


def _contains(value: Any, seen: set[int]) -> bool:
    if known_types.is_unknown(value):
        return True
    if id(value) in seen:
        return False
    seen.add(id(value))
    if isinstance(value, dict):
        return any(_contains(value[key], seen) for key in value)
    if isinstance(value, list):
        return any(_contains(item, seen) for item in value)
    return False


def contains_unknowns(value: Any) -> bool:
    """Whether `value` (nested dicts and lists) holds an unknown output value anywhere."""
    return _contains(value, set())


@contextmanager
def acyclic_unknowns() -> Iterator[None]:
    """Calls of `rpc.contains_unknowns` inside (pulumi/output.py looks it up there) use `contains_unknowns`."""
    original = rpc.contains_unknowns
    rpc.contains_unknowns = contains_unknowns
    try:
        yield
    finally:
        rpc.contains_unknowns = original
