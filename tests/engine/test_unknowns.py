"""The engine's `contains_unknowns` answers like the Pulumi SDK's own, and leaves no cyclic garbage behind."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi.runtime import rpc

from blueprints.engine.unknowns import acyclic_unknowns, contains_unknowns

UNKNOWN = Unknown()
SHARED: list[Any] = [1, "a"]
VALUES: list[Any] = [
    None, 1, "text", UNKNOWN, [], {}, [1, [2, [3, UNKNOWN]]], {"a": {"b": [1, 2]}}, {"a": {"b": [1, UNKNOWN]}},
    {"x": SHARED, "y": SHARED}, [SHARED, SHARED, {"z": UNKNOWN}], ({"tuple": UNKNOWN},), rpc.UNKNOWN,
]


@pytest.mark.parametrize("value", VALUES, ids=[f"value{index}" for index in range(len(VALUES))])  # reprs hold addresses
def test_same_answer_as_the_sdk(value: Any):
    assert contains_unknowns(value) == rpc.contains_unknowns(value)


def _garbage_after(check: Any) -> int:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for value in VALUES:
            check(value)
        return gc.collect()
    finally:
        if was_enabled:
            gc.enable()


def test_no_cyclic_garbage_where_the_sdk_leaves_some():
    assert _garbage_after(rpc.contains_unknowns) > 0  # the SDK's recursive closure: why this module exists
    assert _garbage_after(contains_unknowns) == 0


def test_in_the_sdks_place_only_inside_the_block():
    original = rpc.contains_unknowns
    with acyclic_unknowns():
        assert rpc.contains_unknowns is contains_unknowns
    assert rpc.contains_unknowns is original
