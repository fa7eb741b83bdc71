"""One way to look a name up in any catalog table, with an error that lists what is allowed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from blueprints.errors import BlueprintError

Entry = TypeVar("Entry")


def lookup(table: Mapping[str, Entry], name: str, what: str) -> Entry:
    """`table[name]`, or a BlueprintError naming `what` (a config path or flag) and the allowed names."""
    if name not in table:
        raise BlueprintError(f"{what}: unknown name (got {name!r}; allowed: {', '.join(table)})")
    return table[name]
