"""No IAM Allow uses NotAction or NotResource: "everything except" grants every action or resource not named,
including ones AWS adds later (an Allow with NotAction [iam:*] is administrator access minus IAM)."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..iamdoc import allow_statements, documents
from ..model import StackContext


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    for label, document in documents(type_, props):
        for index, statement in allow_statements(document):
            inverted = [element for element in ("NotAction", "NotResource") if element in statement]
            if inverted:
                yield (f"{label} Statement[{index}] allows with {inverted}: it grants everything not listed; "
                       "list Action and Resource instead")
