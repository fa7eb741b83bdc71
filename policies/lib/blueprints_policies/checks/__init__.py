"""One module per policy, named after the policy ID (dashes become underscores).

Resource checks: `check(type_, props, ctx) -> Iterator[str]` (one message per violation), optionally
`remediate(type_, props, ctx) -> dict | None`. Stack checks: `check(resources, ctx) -> Iterator[Finding]`.
"""
