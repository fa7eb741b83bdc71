"""The gateway of a platform without a cluster (`runtime: fargate`): LiteLLM as an ECS Fargate service behind the
same ALB as the Kubernetes gateway (components/edge.py: TLS, WAF, the `gateway-unhealthy` alarm), in front of
hosted models only.

- Task (blueprints/gateway/fargate.py): the pinned image, the generated config, logs to a KMS-encrypted log group
  with the spec's retention.
- One role, for ECS (write the task's logs, resolve the master key when a task starts: exactly the log group and
  the secret, decrypt with the `secrets` key only through Secrets Manager) and for the proxy's own calls (invoke
  exactly the configured Bedrock models, gateway/bedrock.py). The proxy holds the master key's value anyway, so a
  separate execution role would withhold nothing it needs; one role keeps the platform at 40 resources.
- Network: tasks in the private subnets without public addresses, out through the NAT gateway
  (components/small_network.py). The WAF keeps metrics and sampled requests; the task logs are the request log.
- Master key: a Secrets Manager secret (`secrets` key) whose value Secrets Manager's GetRandomPassword generates
  and Pulumi writes write-only: it is in no state, config or plan. Rotate it by writing a new value and forcing
  a new deployment of the service. The secret is JSON: the master key under LITELLM_MASTER_KEY and beside it the
  key of every hosted provider the spec uses (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...; a person supplies them with
  `pulumi config set --secret`), written in the same write-only version: one secret, one version, so providers
  add no resources (startup-mvp stays at 40). ECS hands each JSON key to the task as its own variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from blueprints.components.edge import GatewayEdge
from blueprints.components.gateway import bedrock_statements, gateway_certificate, web_acl
from blueprints.components.iam import allow, policy_document, service_trust
from blueprints.gateway.capacity import gateway_sizing
from blueprints.gateway.edge import GATEWAY, backends
from blueprints.gateway.fargate import container_definition, task_size
from blueprints.gateway.litellm_config import MASTER_KEY_ENV
from blueprints.gateway.manifests import MASTER_KEY_SECRET, NAME, PORT
from blueprints.gateway.providers import provider_credentials
from blueprints.gateway.sso import CLIENT_SECRET_ENV as SSO_CLIENT_SECRET
from blueprints.spec import PlatformSpec

if TYPE_CHECKING:
    from blueprints.context import RegionContext

MASTER_KEY_LENGTH = 48
HEALTH_CHECK_GRACE_S = 60
"""LiteLLM answers its liveness path within seconds of starting; the ALB's checks count only after this."""


def json_key(secret_arn: pulumi.Input[str], key: str) -> pulumi.Output[str]:
    """ECS `valueFrom` for one key of a JSON secret: `<arn>:<json-key>:<version-stage>:<version-id>`, the last two
    empty for the current version (docs.aws.amazon.com/AmazonECS/latest/developerguide/
    secrets-envvar-secrets-manager.html)."""
    return pulumi.Output.concat(secret_arn, f":{key}::")


class GatewayFargate(pulumi.ComponentResource):
    """`endpoint`: the client URL; `edge`: the load balancer."""

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, alert_topic_arn: pulumi.Input[str],
                 opts: pulumi.ResourceOptions, provider_keys: Mapping[str, pulumi.Input[str]] | None = None,
                 sso_client_secret: pulumi.Input[str] | None = None):
        super().__init__("blueprints:gateway:GatewayFargate", name, None, opts)
        namer, region, child = ctx.namer, ctx.region, pulumi.ResourceOptions(parent=self)
        tasks = aws.ec2.SecurityGroup(
            namer("gateway-tasks"), name=namer("gateway-tasks"), vpc_id=ctx.network.vpc_id,
            description=f"{namer.prefix} gateway tasks: the ALB in (edge), HTTPS out",
            egress=[{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"],
                     "description": "Bedrock, Secrets Manager, CloudWatch Logs, the image registry"}],
            tags={"Name": namer("gateway-tasks")}, opts=child)
        gateway_backend = backends(spec)[GATEWAY]
        self.edge = GatewayEdge(
            namer("edge"), spec, ctx, [gateway_backend], certificate_arn=gateway_certificate(spec, ctx, self),
            web_acl_arn=web_acl(spec, ctx, self, request_log=False) if spec.gateway.waf else None, logs_bucket=None,
            alert_topic_arn=alert_topic_arn, target_security_group_id=tasks.id, redirect_http=False,
            sso_client_secret=sso_client_secret, opts=child)

        master_key = aws.secretsmanager.Secret(
            namer(MASTER_KEY_SECRET), name=f"{namer.prefix}/{MASTER_KEY_SECRET}",
            description="LiteLLM master (admin) key and hosted providers' keys (JSON)",
            kms_key_id=ctx.keys.arn("secrets"),
            recovery_window_in_days=30 if spec.deletion_protection else 7, opts=child)
        generated = aws.secretsmanager.get_random_password_output(
            password_length=MASTER_KEY_LENGTH, exclude_punctuation=True, include_space=False,
            opts=pulumi.InvokeOutputOptions(parent=self))
        aws.secretsmanager.SecretVersion(
            namer(MASTER_KEY_SECRET), secret_id=master_key.id, secret_string_wo_version=1,
            # LiteLLM takes master keys that start with sk-.
            secret_string_wo=pulumi.Output.secret(pulumi.Output.json_dumps({
                MASTER_KEY_ENV: pulumi.Output.concat("sk-", generated.random_password),
                **{env: (provider_keys or {})[env] for env in provider_credentials(spec)},
                # The IdP client's secret (gateway.sso) in the same version: its plaintext home.
                **({SSO_CLIENT_SECRET: sso_client_secret} if spec.gateway.sso is not None else {})})),
            opts=child)

        logs = aws.cloudwatch.LogGroup(
            namer("gateway-logs"), name=f"/blueprints/{namer.prefix}/gateway",
            retention_in_days=spec.observability.log_retention_days, kms_key_id=ctx.keys.arn("logs"), opts=child)
        trust = service_trust("ecs-tasks.amazonaws.com", account_id=ctx.account_id, source_arn=pulumi.Output.concat(
            "arn:aws:ecs:", region, ":", ctx.account_id, ":*"))
        role = aws.iam.Role(namer("gateway-task"), assume_role_policy=trust, inline_policies=[{
            "name": "gateway", "policy": policy_document([
                allow(["logs:CreateLogStream", "logs:PutLogEvents"], [pulumi.Output.concat(logs.arn, ":*")], "Logs"),
                allow(["secretsmanager:GetSecretValue"], [master_key.arn], "MasterKey"),
                *ctx.keys.key_statements(["kms:Decrypt"], ["secrets"], "DecryptMasterKey", StringEquals={
                    "kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}),
                *bedrock_statements(spec, ctx),
            ])}], opts=child)

        cluster = aws.ecs.Cluster(namer("ecs"), name=namer("ecs"), opts=child)
        definition = aws.ecs.TaskDefinition(
            namer("gateway"), family=namer("gateway"), requires_compatibilities=["FARGATE"], network_mode="awsvpc",
            **task_size(spec), execution_role_arn=role.arn, task_role_arn=role.arn,
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            volumes=[{"name": "tmp"}],
            container_definitions=pulumi.Output.json_dumps([container_definition(
                spec, region, log_group=logs.name, master_key_arn=json_key(master_key.arn, MASTER_KEY_ENV),
                provider_key_refs={env: json_key(master_key.arn, env) for env in provider_credentials(spec)})]),
            opts=child)
        aws.ecs.Service(
            namer("gateway"), name=NAME, cluster=cluster.arn, task_definition=definition.arn,
            desired_count=gateway_sizing(spec).replicas, launch_type="FARGATE", propagate_tags="SERVICE",
            network_configuration={"subnets": ctx.network.private_subnet_ids, "security_groups": [tasks.id],
                                   "assign_public_ip": False},
            load_balancers=[{"target_group_arn": self.edge.target_group_arns[GATEWAY], "container_name": NAME,
                             "container_port": PORT}],
            health_check_grace_period_seconds=HEALTH_CHECK_GRACE_S,
            # Never below the floor during a deployment; a deployment whose tasks fail rolls back on its own.
            deployment_minimum_healthy_percent=100, deployment_maximum_percent=200,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            opts=child)
        self.endpoint = f"https://{spec.gateway.domain_name}/v1" if spec.gateway.domain_name else None
        self.register_outputs({"endpoint": self.endpoint, "load_balancer": self.edge.dns_name})
