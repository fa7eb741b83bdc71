"""No IAM permission grants every action (`*`) or every action of a service (`s3:*`)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..iamdoc import actions, allow_statements, documents
from ..model import StackContext


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    for label, document in documents(type_, props):
        for index, statement in allow_statements(document):
            wild = [a for a in actions(statement) if a == "*" or a.endswith(":*")]
            if wild:
                yield f"{label} Statement[{index}] allows wildcard actions {wild}: list the actions needed"
