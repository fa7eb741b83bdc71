"""The key reconciler of one region (see blueprints.access.manifests): after the gateway, a Job that makes the
gateway's LiteLLM teams what `access.teams` declares and issues the platform workloads' own virtual keys, re-run
whenever the desired state changes.

The workloads' keys: one Secrets Manager secret each, created here empty (KMS key `secrets`); only the Job's pod
identity may read and write them (it writes the key /key/generate returned), and External Secrets syncs each into
its workload's namespace: the key never passes through Pulumi, and no workload holds the gateway's master key."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from blueprints.access.manifests import NAMESPACE, SERVICE_ACCOUNT, access_manifests
from blueprints.components.iam import PodIdentity, allow
from blueprints.components.kube import apply_manifest
from blueprints.spec import PlatformSpec

if TYPE_CHECKING:
    from blueprints.components.secrets import Secrets
    from blueprints.context import RegionContext

KEY_ACTIONS = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"]


class AccessTeams(pulumi.ComponentResource):
    @staticmethod
    def needed(spec: PlatformSpec, workloads: list[str]) -> bool:
        """Teams are declared (the spec allows them with runtime `eks` only), or some platform workload needs a key
        of the gateway's database (which runtime `eks` always has)."""
        return bool(spec.access.teams) or (spec.gateway_database and bool(workloads))

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, secrets: Secrets,
                 opts: pulumi.ResourceOptions, *, workloads: list[str]):
        """`opts` must depend on the gateway: the Job calls its Service with its master key Secret. `workloads`:
        the platform workloads that get a key (its secret: `key_secrets[workload]`), e.g. `batch`."""
        super().__init__("blueprints:access:AccessTeams", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.key_secrets: dict[str, aws.secretsmanager.Secret] = {workload: secrets.secret(f"gateway-key-{workload}",
                                               f"Gateway virtual key of the platform's {workload} workload "
                                               "(written by the key reconciler Job)")
                      for workload in workloads}
        key_secrets = {f"platform-{workload}": f"{ctx.namer.prefix}/gateway-key-{workload}" for workload in workloads}
        config, policy, account, job = access_manifests(spec, ctx.region, key_secrets)
        ready: list[pulumi.Resource] = [apply_manifest(ctx.namer("access", "config"), config, child),
                                        apply_manifest(ctx.namer("access", "networkpolicy"), policy, child),
                                        apply_manifest(ctx.namer("access", "serviceaccount"), account, child)]
        if self.key_secrets:
            identity = PodIdentity(ctx.namer(SERVICE_ACCOUNT), cluster_name=ctx.cluster.cluster_name,
                                   namespace=NAMESPACE, service_account=SERVICE_ACCOUNT, opts=child,
                                   statements=[allow(KEY_ACTIONS, [key.arn for key in self.key_secrets.values()],
                                                     "WorkloadKeys")])
            ctx.keys.grant_encrypt_decrypt("secrets", ctx.namer(SERVICE_ACCOUNT, "secrets"), identity.role_arn)
            ready.append(identity)
        apply_manifest(ctx.namer("access", "reconcile"), job, pulumi.ResourceOptions(parent=self, depends_on=ready))
        self.register_outputs({"job": job["metadata"]["name"]})

