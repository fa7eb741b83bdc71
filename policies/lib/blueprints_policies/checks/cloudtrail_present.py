"""The stack has at least one multi-region CloudTrail trail that is logging."""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .. import tokens
from ..model import Finding, Res, StackContext
from ..props import items, truthy


def records_management_events(props: Mapping[str, Any]) -> bool:
    """Without event selectors a trail records all management events; with them, only when one selector includes
    management events (includeManagementEvents defaults to true) for both reads and writes, or an advanced selector
    selects eventCategory Management."""
    basic = items(props.get("eventSelectors"))
    advanced = items(props.get("advancedEventSelectors"))
    if not basic and not advanced:
        return True
    if any(s.get("includeManagementEvents", True) is not False and s.get("readWriteType", "All") == "All"
           for s in basic):
        return True
    return any(field.get("field") == "eventCategory" and "Management" in items(field.get("equals"))
               for selector in advanced for field in items(selector.get("fieldSelectors")))


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    trails = [r for r in resources if r.type in tokens.CLOUDTRAIL]
    good = [
        t for t in trails
        if truthy(t.props.get("isMultiRegionTrail")) and t.props.get("enableLogging") is not False
        and records_management_events(t.props)
    ]
    if not good:
        names = [t.name for t in trails] or "none"
        yield Finding(f"no aws.cloudtrail.Trail with isMultiRegionTrail true and logging on (trails: {names})")
