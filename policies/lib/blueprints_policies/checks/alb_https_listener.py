"""Load-balancer listeners serve HTTPS; a plain HTTP listener may only redirect to HTTPS."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext
from ..props import dig, items


def _redirects_to_https(action: Mapping[str, Any]) -> bool:
    return action.get("type") == "redirect" and dig(action, "redirect.protocol") == "HTTPS"


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    protocol = props.get("protocol", "HTTP")
    if protocol == "HTTP":
        actions = items(props.get("defaultActions"))
        if not actions or not all(_redirects_to_https(a) for a in actions):
            yield "an HTTP listener must only redirect: defaultActions[].type 'redirect' with redirect.protocol 'HTTPS'"
    elif protocol in ("HTTPS", "TLS") and not props.get("certificateArn"):
        yield f"{protocol} listener needs certificateArn"
