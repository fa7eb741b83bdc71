"""No Kubernetes Service opens its own internet-facing load balancer: the platform's one public entry is the ALB
behind the WAF. A `LoadBalancer` Service gets an internet-facing NLB unless annotated internal, and a
loadBalancerSourceRanges of the internet (addresses.is_internet) does not narrow it."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..addresses import is_internet
from ..model import StackContext
from ..props import dig, items

SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"
LEGACY_INTERNAL = "service.beta.kubernetes.io/aws-load-balancer-internal"
"""AWS Load Balancer Controller annotations (v2.x docs, service/annotations.md)."""


def _internal(annotations: Mapping[str, Any]) -> bool:
    scheme = annotations.get(SCHEME)
    if scheme is not None:
        return scheme == "internal"
    return str(annotations.get(LEGACY_INTERNAL, "")).lower() == "true"


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if dig(props, "spec.type") != "LoadBalancer":
        return
    annotations = dig(props, "metadata.annotations", {}) or {}
    if _internal(annotations):
        return
    ranges = [r for r in items(dig(props, "spec.loadBalancerSourceRanges")) if not is_internet(r)]
    if ranges and len(ranges) == len(items(dig(props, "spec.loadBalancerSourceRanges"))):
        return
    yield (f"Service of type LoadBalancer is internet-facing (annotation {SCHEME!r}: {annotations.get(SCHEME)!r}, "
           "loadBalancerSourceRanges open); annotate it 'internal' or route it through the gateway")
