"""No security group admits the internet except on TCP 80/443, however the rule is written: inline on the group
(or the VPC's default group), as a vpc.SecurityGroupIngressRule, or as an ec2.SecurityGroupRule of type ingress.
"The internet" is any range addresses.is_internet reads so (split halves of 0.0.0.0/0, ::/0, a public /8 ...);
protocol -1 (all) opens every port whatever fromPort/toPort say."""

from collections.abc import Iterator, Mapping
from typing import Any

from .. import tokens
from ..addresses import is_internet
from ..model import StackContext
from ..props import items, number

WEB_PORTS = {80.0, 443.0}
TCP = ("tcp", "6")
ALL_PROTOCOLS = ("-1", "all")

Rule = tuple[str, list[str], Any, float | None, float | None]


def _rules(type_: str, props: Mapping[str, Any]) -> Iterator[Rule]:
    """(label, source ranges, protocol, fromPort, toPort) for every ingress rule the resource defines."""
    if type_ in tokens.SECURITY_GROUP_INGRESS:
        cidrs = [c for c in (props.get("cidrIpv4"), props.get("cidrIpv6")) if c]
        yield "rule", cidrs, props.get("ipProtocol"), number(props.get("fromPort")), number(props.get("toPort"))
    elif type_ in tokens.SECURITY_GROUP_RULE:
        if props.get("type") == "ingress":
            cidrs = items(props.get("cidrBlocks")) + items(props.get("ipv6CidrBlocks"))
            yield "rule", cidrs, props.get("protocol"), number(props.get("fromPort")), number(props.get("toPort"))
    else:
        for i, rule in enumerate(items(props.get("ingress"))):
            cidrs = items(rule.get("cidrBlocks")) + items(rule.get("ipv6CidrBlocks"))
            yield (f"ingress[{i}]", cidrs, rule.get("protocol"), number(rule.get("fromPort")),
                   number(rule.get("toPort")))


def _web_only(protocol: Any, from_port: float | None, to_port: float | None) -> bool:
    return (str(protocol).lower() in TCP and from_port is not None and from_port == to_port
            and from_port in WEB_PORTS)


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    for label, cidrs, protocol, from_port, to_port in _rules(type_, props):
        open_cidrs = [c for c in cidrs if is_internet(c)]
        if not open_cidrs or _web_only(protocol, from_port, to_port):
            continue
        ports = "every port" if str(protocol).lower() in ALL_PROTOCOLS else f"ports {from_port}-{to_port}"
        yield (f"{label} admits the internet {open_cidrs} on protocol {protocol!r}, {ports}; only TCP 80 or 443 "
               "may be open")
