"""The stack declares a data-residency allowlist, so residency-allowlist has something to enforce."""

from collections.abc import Iterator, Sequence

from ..model import Finding, Res, StackContext


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    if not ctx.residency:
        yield Finding("no residency allowlist declared: set stack config 'residency' to the allowed regions")
