"""The context other policies' verdicts depend on is present and valid: stack config `environment` is one of the
allowed values, and no suppression in force has expired. Fail closed: without it, prod-only checks would pass."""

from collections.abc import Iterator, Sequence

from ..model import Finding, Res, StackContext, environment_problem


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    problem = environment_problem(ctx.environment)
    if problem:
        yield Finding(f"cannot evaluate: {problem}")
    for expired in ctx.expired_suppressions:
        yield Finding(expired)
