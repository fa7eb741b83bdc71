"""Secrets Manager + External Secrets Operator: where every credential the platform creates lives, and how it
reaches a pod without ever being written from stack config.

How values are made (no plain text in config, state or the offline plan):
- database master passwords: RDS manages them (`manage_master_user_password`) and rotates them every 7 days;
- every other credential (API keys, the gateway master key): `generated_secret` creates an empty secret whose
  first value comes from a rotation function calling Secrets Manager's `GetRandomPassword` in the account
  (`rotate_immediately`), then again every `secrets.rotation_days`;
- values a person must supply (third-party API keys) are Pulumi secrets in stack config (`config.require_secret`),
  encrypted by Pulumi, passed to `secret(..., value=)` and written to AWS through a write-only attribute.
Pods get credentials through an ExternalSecret (`sync`) from one ClusterSecretStore; the controller's pod
identity may read exactly the secrets that were synced, and decrypt with the `secrets` key through a KMS grant.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from blueprints.components.cluster import SYSTEM_NODE_LABEL
from blueprints.components.helm import chart_release
from blueprints.components.iam import PodIdentity, allow, policy_document, service_trust
from blueprints.components.keys import DataClass
from blueprints.secrets import rotator
from blueprints.spec import PlatformSpec

if TYPE_CHECKING:
    from blueprints.context import RegionContext

NAMESPACE = "external-secrets"
SERVICE_ACCOUNT = "external-secrets"
STORE_NAME = "aws-secrets-manager"
SYNC_LABEL = {"blueprints.io/external-secrets": "allowed"}
"""Namespaces carrying this label may use the ClusterSecretStore; put it on every namespace that calls `sync`."""
REFRESH_INTERVAL = "1h"
READ_ACTIONS = ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue")
ROTATION_ACTIONS = ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage")


def cluster_secret_store(region: str) -> dict[str, Any]:
    """The one ClusterSecretStore: AWS Secrets Manager in this region, with the controller's pod identity."""
    return {
        "apiVersion": "external-secrets.io/v1", "kind": "ClusterSecretStore",
        "metadata": {"name": STORE_NAME},
        "spec": {
            "provider": {"aws": {"service": "SecretsManager", "region": region}},
            "conditions": [{"namespaceSelector": {"matchLabels": SYNC_LABEL}}],
        },
    }


def external_secret(name: str, namespace: str, secret_arn: pulumi.Input[str],
                    keys: Mapping[str, str | None]) -> dict[str, Any]:
    """An ExternalSecret: Kubernetes Secret `name` whose keys come from one Secrets Manager secret.

    `keys` maps each Kubernetes Secret key to a property of a JSON secret value, or to None for the whole value.
    """
    return {
        "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": namespace, "labels": {
            "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "llm-platform",
            "app.kubernetes.io/component": "credentials"}},
        "spec": {
            "refreshInterval": REFRESH_INTERVAL,
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": STORE_NAME},
            "target": {"name": name, "creationPolicy": "Owner", "deletionPolicy": "Retain"},
            "data": [
                {"secretKey": key, "remoteRef": {"key": secret_arn, **({"property": prop} if prop else {})}}
                for key, prop in sorted(keys.items())
            ],
        },
    }


def eso_values(replicas: int) -> dict[str, Any]:
    resources = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}
    placement = {"nodeSelector": SYSTEM_NODE_LABEL, "resources": resources}
    return {
        "installCRDs": True,
        "replicaCount": replicas,
        "leaderElect": replicas > 1,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        **placement,
        "webhook": {"replicaCount": replicas, **placement},
        "certController": {"replicaCount": 1, **placement},
        "podDisruptionBudget": {"enabled": replicas > 1, "maxUnavailable": 1},
    }


class Secrets(pulumi.ComponentResource):
    """External Secrets Operator with its ClusterSecretStore, and the helpers other components ask for
    credentials with: `secret`, `generated_secret`, `sync`."""

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, opts: pulumi.ResourceOptions):
        super().__init__("blueprints:security:Secrets", name, None, opts)
        self._spec, self._ctx, self._namer = spec, ctx, ctx.namer
        self._rotator: aws.lambda_.Function | None = None
        self._rotator_role: aws.iam.Role | None = None
        self._decrypt_granted: set[DataClass] = set()
        child = pulumi.ResourceOptions(parent=self)
        self.controller = PodIdentity(
            self._namer("external-secrets"), cluster_name=ctx.cluster.cluster_name, namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT, statements=[], opts=child,
        )
        self._controller_role = self.controller.role_arn.apply(lambda arn: arn.split("/")[-1])
        self.store: k8s.apiextensions.CustomResource | None = None
        if spec.secrets.external_secrets:
            replicas = 2 if spec.environment == "prod" else 1
            release = chart_release(self._namer("external-secrets"), "external-secrets", NAMESPACE,
                                    eso_values(replicas), pulumi.ResourceOptions(parent=self,
                                                                                 depends_on=[self.controller]))
            self.store = _custom(self._namer("secret-store"), cluster_secret_store(ctx.region),
                                 pulumi.ResourceOptions(parent=self, depends_on=[release]))
        self.register_outputs({"controller_role_arn": self.controller.role_arn})

    def secret(self, name: str, description: str, kms: DataClass = "secrets",
               value: pulumi.Input[str] | None = None) -> aws.secretsmanager.Secret:
        """A Secrets Manager secret encrypted with a KeyRing CMK. `value` must come from a Pulumi secret
        (stack config `require_secret`) and is written write-only; leave it out when the value is generated or
        written by AWS."""
        secret = aws.secretsmanager.Secret(
            self._namer(name), name=f"{self._namer.prefix}/{name}", description=description,
            kms_key_id=self._ctx.keys.arn(kms),
            recovery_window_in_days=30 if self._spec.deletion_protection else 7,
            opts=pulumi.ResourceOptions(parent=self),
        )
        if value is not None:
            # Write-only: the value goes to AWS and is never stored in Pulumi state, not even encrypted.
            aws.secretsmanager.SecretVersion(
                self._namer(name), secret_id=secret.id, secret_string_wo=pulumi.Output.secret(value),
                secret_string_wo_version=1, opts=pulumi.ResourceOptions(parent=self),
            )
        return secret

    def generated_secret(self, name: str, description: str) -> aws.secretsmanager.Secret:
        """A random credential (48 letters and digits) generated inside AWS by the rotation function, rotated
        every `secrets.rotation_days`. After External Secrets refreshes (`REFRESH_INTERVAL`), consumers that read
        the Secret as a mounted file and re-read it (the batch API and worker) use the new value at once; those
        that read it from an environment variable (LiteLLM, Qdrant), at their next restart."""
        secret = self.secret(name, description)
        function, role = self._rotation_function()
        child = pulumi.ResourceOptions(parent=self)
        aws.iam.RolePolicy(self._namer("rotate", name), role=role.id,
                           policy=policy_document([allow(ROTATION_ACTIONS, [secret.arn])]), opts=child)
        permission = aws.lambda_.Permission(
            self._namer("rotate", name), action="lambda:InvokeFunction", function=function.name,
            principal="secretsmanager.amazonaws.com", source_arn=secret.arn, opts=child,
        )
        aws.secretsmanager.SecretRotation(
            self._namer("rotate", name), secret_id=secret.id, rotation_lambda_arn=function.arn,
            rotate_immediately=True,
            rotation_rules={"automatically_after_days": self._spec.secrets.rotation_days},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )
        return secret

    def sync(self, k8s_namespace: str, secret: aws.secretsmanager.Secret | pulumi.Input[str],
             keys: Mapping[str, str | None], name: str, kms: DataClass = "secrets",
             opts: pulumi.ResourceOptions | None = None) -> k8s.apiextensions.CustomResource:
        """Kubernetes Secret `name` in `k8s_namespace` (which must carry SYNC_LABEL), kept in step with one
        Secrets Manager secret (a resource, or the ARN of one AWS manages, e.g. an RDS master secret).
        The controller may read exactly this secret from now on."""
        if self.store is None:
            raise ValueError("secrets.external_secrets is false: nothing can be synced into the cluster")
        arn = secret.arn if isinstance(secret, aws.secretsmanager.Secret) else secret
        child = pulumi.ResourceOptions(parent=self)
        read = aws.iam.RolePolicy(self._namer("eso-read", k8s_namespace, name), role=self._controller_role,
                                  policy=policy_document([allow(READ_ACTIONS, [arn])]), opts=child)
        if kms not in self._decrypt_granted:
            self._ctx.keys.grant_decrypt(kms, self._namer("external-secrets", kms), self.controller.role_arn)
            self._decrypt_granted.add(kms)
        merged = pulumi.ResourceOptions.merge(
            pulumi.ResourceOptions(parent=self, depends_on=[self.store, read]), opts)
        return _custom(self._namer("external-secret", k8s_namespace, name),
                       external_secret(name, k8s_namespace, arn, keys), merged)

    def _rotation_function(self) -> tuple[aws.lambda_.Function, aws.iam.Role]:
        """One rotation function per region, created with the first generated secret."""
        if self._rotator is not None and self._rotator_role is not None:
            return self._rotator, self._rotator_role
        namer, ctx, child = self._namer, self._ctx, pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(namer("secret-rotator"), assume_role_policy=service_trust("lambda.amazonaws.com"),
                            opts=child)
        logs = aws.cloudwatch.LogGroup(
            namer("secret-rotator"), name=f"/aws/lambda/{namer('secret-rotator')}",
            retention_in_days=self._spec.observability.log_retention_days, kms_key_id=ctx.keys.arn("logs"),
            opts=child,
        )
        aws.iam.RolePolicy(namer("secret-rotator"), role=role.id, policy=policy_document([
            # GetRandomPassword acts on no resource: AWS requires "*".
            allow(["secretsmanager:GetRandomPassword"], ["*"], "GenerateValues"),
            allow(["logs:CreateLogStream", "logs:PutLogEvents"], [pulumi.Output.concat(logs.arn, ":*")], "Logs"),
        ]), opts=child)
        # ENI management for a function in the VPC (AWS managed policy; ec2:CreateNetworkInterface needs "*").
        vpc_access = aws.iam.RolePolicyAttachment(
            namer("secret-rotator"), role=role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole", opts=child,
        )
        grant = ctx.keys.grant_encrypt_decrypt("secrets", namer("secret-rotator"), role.arn)
        security_group = aws.ec2.SecurityGroup(
            namer("secret-rotator"), vpc_id=ctx.network.vpc_id, description="Secrets rotation: HTTPS out only",
            egress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ctx.network.api_egress_cidrs,
                     "description": "Secrets Manager API (endpoint or NAT)"}],
            opts=child,
        )
        self._rotator = aws.lambda_.Function(
            namer("secret-rotator"), name=namer("secret-rotator"), role=role.arn, runtime="python3.12",
            handler="index.handler", timeout=30, memory_size=128,
            code=pulumi.AssetArchive({"index.py": pulumi.FileAsset(str(Path(rotator.__file__)))}),
            environment={"variables": {"SECRET_LENGTH": str(rotator.DEFAULT_LENGTH)}},
            kms_key_arn=ctx.keys.arn("secrets"),
            vpc_config={"subnet_ids": ctx.network.private_subnet_ids, "security_group_ids": [security_group.id]},
            logging_config={"log_format": "JSON", "log_group": logs.name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[vpc_access, logs, *filter(None, [grant])]),
        )
        self._rotator_role = role
        return self._rotator, role


def _custom(name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions) -> k8s.apiextensions.CustomResource:
    return k8s.apiextensions.CustomResource(
        name, api_version=manifest["apiVersion"], kind=manifest["kind"], metadata=manifest["metadata"],
        spec=manifest["spec"], opts=opts,
    )
