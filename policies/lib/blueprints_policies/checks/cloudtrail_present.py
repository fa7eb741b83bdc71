"""The stack has at least one multi-region CloudTrail trail that is logging."""

from collections.abc import Iterator, Sequence

from .. import tokens
from ..model import Finding, Res, StackContext
from ..props import truthy


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    trails = [r for r in resources if r.type in tokens.CLOUDTRAIL]
    good = [
        t for t in trails
        if truthy(t.props.get("isMultiRegionTrail")) and t.props.get("enableLogging") is not False
    ]
    if not good:
        names = [t.name for t in trails] or "none"
        yield Finding(f"no aws.cloudtrail.Trail with isMultiRegionTrail true and logging on (trails: {names})")
