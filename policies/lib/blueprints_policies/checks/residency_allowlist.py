"""Every AWS provider and every regional resource stays inside the declared residency allowlist."""

from collections.abc import Iterator, Sequence
from fnmatch import fnmatchcase

from .. import tokens
from ..model import Finding, Res, StackContext


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    if ctx.residency is None:
        return
    for resource in resources:
        region = resource.props.get("region") if resource.type == tokens.AWS_PROVIDER else resource.region
        if region and not any(fnmatchcase(str(region), allowed) for allowed in ctx.residency):
            yield Finding(f"{resource.name!r} is in region {region!r}, outside the residency allowlist "
                          f"{list(ctx.residency)}", resource.urn)
