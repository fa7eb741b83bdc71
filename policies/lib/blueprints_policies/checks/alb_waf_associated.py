"""Every internet-facing application load balancer has a WAFv2 web ACL associated."""

from collections.abc import Iterator, Sequence

from .. import tokens
from ..model import Finding, Res, StackContext
from ..props import truthy


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    protected = {str(r.props.get("resourceArn")) for r in resources if r.type in tokens.WAF_ASSOCIATION}
    for lb in (r for r in resources if r.type in tokens.LB):
        if truthy(lb.props.get("internal")) or lb.props.get("loadBalancerType", "application") != "application":
            continue
        ids = {str(v) for v in (lb.props.get("arn"), lb.props.get("id")) if v}
        if not ids & protected:
            yield Finding(f"internet-facing load balancer {lb.name!r} has no wafv2.WebAclAssociation "
                          "with resourceArn set to its ARN", lb.urn)
