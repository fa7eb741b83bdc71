"""Every VPC records flow logs for all traffic."""

from collections.abc import Iterator, Sequence

from .. import tokens
from ..model import Finding, Res, StackContext


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    logged = {str(r.props.get("vpcId")) for r in resources
              if r.type in tokens.FLOW_LOG and r.props.get("trafficType") == "ALL"}
    for vpc in (r for r in resources if r.type in tokens.VPC):
        if not {str(vpc.props.get("id")), vpc.name} & logged:
            yield Finding(f"VPC {vpc.name!r} has no ec2.FlowLog with vpcId set to it and trafficType 'ALL'",
                          vpc.urn)
