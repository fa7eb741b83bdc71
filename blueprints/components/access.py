"""The key reconciler of one region (see blueprints.access.manifests): after the gateway, a Job that makes the
gateway's LiteLLM teams what `access.teams` declares, re-run whenever the declared teams change."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi

from blueprints.access.manifests import access_manifests
from blueprints.components.kube import apply_manifest
from blueprints.spec import PlatformSpec

if TYPE_CHECKING:
    from blueprints.context import RegionContext


class AccessTeams(pulumi.ComponentResource):
    @staticmethod
    def needed(spec: PlatformSpec) -> bool:
        """Teams are declared (the spec allows them with runtime `eks` only)."""
        return bool(spec.access.teams)

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, opts: pulumi.ResourceOptions):
        """`opts` must depend on the gateway: the Job calls its Service with its master key Secret."""
        super().__init__("blueprints:access:AccessTeams", name, None, opts)
        config, policy, job = access_manifests(spec)
        child = pulumi.ResourceOptions(parent=self)
        ready = [apply_manifest(ctx.namer("access", "config"), config, child),
                 apply_manifest(ctx.namer("access", "networkpolicy"), policy, child)]
        apply_manifest(ctx.namer("access", "reconcile"), job, pulumi.ResourceOptions(parent=self, depends_on=ready))
        self.register_outputs({"job": job["metadata"]["name"]})
