"""HTTPS/TLS listeners use a TLS 1.2+ forward-secrecy or TLS 1.3 security policy."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import StackContext

# Elastic Load Balancing predefined policies that offer only TLS 1.2/1.3 with forward-secret ciphers
# (AWS ELB documentation, "Security policies for your Application Load Balancer").
ALLOWED = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08",
)


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if props.get("protocol") not in ("HTTPS", "TLS"):
        return
    policy = props.get("sslPolicy")
    if policy not in ALLOWED:
        yield f"sslPolicy must be one of {list(ALLOWED)} (got {policy!r})"


def remediate(type_: str, props: Mapping[str, Any], ctx: StackContext) -> dict[str, Any] | None:
    if props.get("protocol") not in ("HTTPS", "TLS"):
        return None
    return {**props, "sslPolicy": ALLOWED[0]}
