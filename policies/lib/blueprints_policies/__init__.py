"""Policy library behind the CrossGuard packs in policies/<pack>/: control catalog, policy registry, checks,
suppressions, offline evaluation, compliance matrix and reports.

Importable as `blueprints_policies` once `policies/lib` is on sys.path (each pack's `__main__.py` and
`blueprints.commands.check` put it there).
"""
