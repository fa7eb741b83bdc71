"""Write permissions name their resources: an Allow on Resource `*` needs a Condition unless every action
is read-only (Describe*, List*, Get*)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..iamdoc import actions, allow_statements, documents, resources
from ..model import StackContext

READ_ONLY_PREFIXES = ("Describe", "List", "Get")


def _read_only(action: str) -> bool:
    return action.split(":", 1)[-1].startswith(READ_ONLY_PREFIXES)


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    for label, document in documents(type_, props):
        for index, statement in allow_statements(document):
            if "*" not in resources(statement) or statement.get("Condition"):
                continue
            writes = [a for a in actions(statement) if not _read_only(a)]
            if writes:
                yield (f"{label} Statement[{index}] allows {writes} on Resource '*' without a Condition: "
                       "scope Resource to ARNs or add a Condition")
