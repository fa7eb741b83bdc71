"""No role, user or group gets an AWS-managed administrator or full-access policy, however it is attached:
a *PolicyAttachment, a PolicyAttachment, the *PolicyAttachmentsExclusive lists, or a Role's managedPolicyArns.
AdministratorAccess is `Action: *`; PowerUserAccess is NotAction iam:*; every `...FullAccess` grants `service:*`."""

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .. import tokens
from ..model import StackContext
from ..props import items

AWS_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:.*/)?(?P<name>[^/]+)$")
BROAD = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")


def broad(arn: object) -> bool:
    match = AWS_MANAGED.match(str(arn))
    if not match:
        return False
    name = match.group("name")
    return name.startswith(BROAD) or name.endswith("FullAccess")


def _arns(type_: str, props: Mapping[str, Any]) -> list[Any]:
    if type_ in tokens.IAM_ROLE:
        return items(props.get("managedPolicyArns"))
    return items(props.get("policyArn")) + items(props.get("policyArns"))


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    found = [arn for arn in _arns(type_, props) if broad(arn)]
    if found:
        yield (f"attaches AWS-managed {found}: administrator or full-access grants every action of a service; "
               "attach a policy listing the actions needed")
