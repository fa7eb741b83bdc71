"""No security group admits the whole internet except on HTTP(S) ports 80/443."""

from collections.abc import Iterator, Mapping
from typing import Any

from .. import tokens
from ..model import StackContext
from ..props import items, number

OPEN = ("0.0.0.0/0", "::/0")
WEB_PORTS = {80.0, 443.0}


def _rules(type_: str, props: Mapping[str, Any]) -> Iterator[tuple[str, list[str], float | None, float | None]]:
    if type_ in tokens.SECURITY_GROUP_INGRESS:
        cidrs = [c for c in (props.get("cidrIpv4"), props.get("cidrIpv6")) if c]
        yield "rule", cidrs, number(props.get("fromPort")), number(props.get("toPort"))
        return
    for i, rule in enumerate(items(props.get("ingress"))):
        cidrs = items(rule.get("cidrBlocks")) + items(rule.get("ipv6CidrBlocks"))
        yield f"ingress[{i}]", cidrs, number(rule.get("fromPort")), number(rule.get("toPort"))


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    for label, cidrs, from_port, to_port in _rules(type_, props):
        open_cidrs = [c for c in cidrs if c in OPEN]
        if not open_cidrs:
            continue
        if from_port is None or to_port is None or from_port != to_port or from_port not in WEB_PORTS:
            yield f"{label} admits {open_cidrs} on ports {from_port}-{to_port}; only 80 or 443 may be open"
