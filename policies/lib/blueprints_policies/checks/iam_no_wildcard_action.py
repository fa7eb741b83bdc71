"""No IAM permission grants actions nobody listed: `*`, `service:*`, or a wildcard inside an action name
(`s3:Get*`, `iam:*Policy*`); iamdoc.wildcard_action states the one allowed form (a trailing `*` after a verb and a
noun). Action names are matched as IAM does, case-insensitively, as a string or a list."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..iamdoc import actions, allow_statements, documents, wildcard_action
from ..model import StackContext


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    for label, document in documents(type_, props):
        for index, statement in allow_statements(document):
            wild = [a for a in actions(statement) if wildcard_action(a)]
            if wild:
                yield f"{label} Statement[{index}] allows wildcard actions {wild}: list the actions needed"
