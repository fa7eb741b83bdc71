"""The gateway of one region: ALB (components/edge.py: ACM TLS, WAF, access logs) in front of LiteLLM
(our own Deployment of the pinned image, config generated from the spec), Valkey for cache and shared state,
Bedrock through a pod identity limited to the configured models, and KV-cache-aware routing to self-hosted
models where the spec asks for it.

Credentials: the master key is generated and rotated inside AWS (Secrets Manager) and reaches the pods through
External Secrets as a mounted file the proxy re-reads on each request (rotation without a restart); the Valkey token
comes from ResponseCache. The gateway's own Aurora PostgreSQL (keys, teams, budgets, spend; `spec.gateway_database`)
takes no password from the pods: they connect with IAM tokens, and only the bootstrap Job reads its RDS-managed
master secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from blueprints.catalog.hosted import inference_profile_arn
from blueprints.components.audit import Audit
from blueprints.components.buckets import access_log_delivery, deny_insecure_transport, private_bucket
from blueprints.components.cache import ResponseCache
from blueprints.components.content_guardrail import BedrockContentGuardrail
from blueprints.components.edge import GatewayEdge
from blueprints.components.helm import chart_release
from blueprints.components.iam import PodIdentity, Statement, allow, policy_document
from blueprints.components.inference_routing import InferenceRouting, routed_models
from blueprints.components.kube import apply_manifest
from blueprints.components.postgres import AuroraDatabase, Capacity, aurora_postgres, bootstrap
from blueprints.components.secrets import SYNC_LABEL
from blueprints.gateway import lb_controller
from blueprints.gateway.bedrock import INVOKE_ACTIONS, invoke_grants
from blueprints.gateway.data_plane import data_plane
from blueprints.gateway.database import (
    BOOTSTRAP_NAMESPACE,
    BOOTSTRAP_SERVICE_ACCOUNT,
    DATABASE,
    DB_USER,
    MASTER_USER,
    bootstrap_sql,
)
from blueprints.gateway.edge import (
    ENVOY,
    GATEWAY,
    backends,
    certificate_names,
    regional_hostname,
    target_group_binding,
)
from blueprints.gateway.litellm_config import MASTER_KEY_ENV, needs_redis
from blueprints.gateway.manifests import (
    MASTER_KEY_SECRET,
    NAME,
    NAMESPACE,
    PROVIDER_KEYS_SECRET,
    REDIS_PASSWORD_KEY,
    REDIS_SECRET,
    gateway_manifests,
    namespace,
)
from blueprints.gateway.providers import provider_credentials
from blueprints.gateway.sso import CLIENT_SECRET_NAME as SSO_CLIENT_SECRET
from blueprints.spec import PlatformSpec

if TYPE_CHECKING:
    from blueprints.components.secrets import Secrets
    from blueprints.components.serving import ModelServing
    from blueprints.context import RegionContext

MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                       "AWSManagedRulesAmazonIpReputationList")
BACKUP_RETENTION_DAYS = 7
"""Point-in-time recovery window of the key database (keys, budgets and spend history)."""
LARGE_BODY_RULE = "SizeRestrictions_BODY"
"""Common rule set blocks bodies over 8 KB; prompts are often longer, so it only counts."""


def waf_rules(spec: PlatformSpec, namer_prefix: str) -> list[dict[str, Any]]:
    def visibility(name: str) -> dict[str, Any]:
        return {"cloudwatch_metrics_enabled": True, "sampled_requests_enabled": True,
                "metric_name": f"{namer_prefix}-{name}"}

    rules: list[dict[str, Any]] = [{
        "name": "rate-per-ip", "priority": 0, "action": {"block": {}},
        "statement": {"rate_based_statement": {"limit": spec.gateway.waf_rate_limit, "aggregate_key_type": "IP",
                                               "evaluation_window_sec": 300}},
        "visibility_config": visibility("rate-per-ip"),
    }]
    for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1):
        statement: dict[str, Any] = {"vendor_name": "AWS", "name": group}
        if group == "AWSManagedRulesCommonRuleSet":
            statement["rule_action_overrides"] = [{"name": LARGE_BODY_RULE, "action_to_use": {"count": {}}}]
        rules.append({"name": group, "priority": priority, "override_action": {"none": {}},
                      "statement": {"managed_rule_group_statement": statement}, "visibility_config": visibility(group)})
    return rules


def gateway_certificate(spec: PlatformSpec, ctx: RegionContext, parent: pulumi.Resource) -> pulumi.Input[str]:
    """The ALB's ACM certificate (DNS validation through `gateway.hosted_zone_id` when given), or the spec's own."""
    gateway, namer = spec.gateway, ctx.namer
    if gateway.certificate_arn:
        return gateway.certificate_arn
    child = pulumi.ResourceOptions(parent=parent)
    names = certificate_names(spec)
    certificate = aws.acm.Certificate(
        namer("gateway-cert"), domain_name=names[0], subject_alternative_names=names[1:] or None,
        validation_method="DNS", key_algorithm="EC_prime256v1",
        options={"certificate_transparency_logging_preference": "ENABLED"},
        opts=pulumi.ResourceOptions(parent=parent, replace_on_changes=["domainName", "subjectAlternativeNames"]),
    )
    if not gateway.hosted_zone_id:
        return certificate.arn
    # One record validates both names: ACM asks the same CNAME for `x` and `*.x`.
    option = certificate.domain_validation_options.apply(lambda options: options[0] if options else None)
    record = aws.route53.Record(
        namer("gateway-cert-validation"), zone_id=gateway.hosted_zone_id, allow_overwrite=True, ttl=300,
        name=option.apply(lambda o: o.resource_record_name if o else gateway.domain_name),
        type=option.apply(lambda o: o.resource_record_type if o else "CNAME"),
        records=[option.apply(lambda o: o.resource_record_value if o else "")], opts=child,
    )
    validation = aws.acm.CertificateValidation(namer("gateway-cert"), certificate_arn=certificate.arn,
                                               validation_record_fqdns=[record.fqdn], opts=child)
    return validation.certificate_arn


def web_acl(spec: PlatformSpec, ctx: RegionContext, parent: pulumi.Resource,
            request_log: bool = True) -> pulumi.Output[str]:
    """The gateway's WAF web ACL (waf_rules), with its request log unless `request_log` is false (the WAF's metrics
    and sampled requests remain); returns its ARN."""
    namer, child = ctx.namer, pulumi.ResourceOptions(parent=parent)
    acl = aws.wafv2.WebAcl(
        namer("gateway-waf"), name=namer("gateway-waf"), scope="REGIONAL", default_action={"allow": {}},
        rules=waf_rules(spec, namer.prefix),
        visibility_config={"cloudwatch_metrics_enabled": True, "sampled_requests_enabled": True,
                           "metric_name": namer("gateway-waf")},
        opts=child,
    )
    if not request_log:
        return acl.arn
    # WAF logs go only to log groups whose name starts with aws-waf-logs-.
    logs = aws.cloudwatch.LogGroup(namer("gateway-waf-logs"), name=f"aws-waf-logs-{namer('gateway')}",
                                   retention_in_days=spec.observability.log_retention_days,
                                   kms_key_id=ctx.keys.arn("logs"), opts=child)
    aws.wafv2.WebAclLoggingConfiguration(namer("gateway-waf"), resource_arn=acl.arn,
                                         log_destination_configs=[logs.arn], opts=child)
    return acl.arn


def bedrock_statements(spec: PlatformSpec, ctx: RegionContext) -> list[dict[str, Any]]:
    """IAM statements invoking exactly the configured Bedrock models from this region (gateway/bedrock.py)."""
    region, account = ctx.region, ctx.account_id
    grants = invoke_grants(spec, region, lambda profile_id: account.apply(
        lambda account_id: inference_profile_arn(region, account_id, profile_id)))
    return [allow(INVOKE_ACTIONS, grant.resources, grant.sid, **grant.condition) for grant in grants]


class Gateway(pulumi.ComponentResource):
    """`endpoint`: this region's URL (the client name itself with one region); `edge`: the load balancer;
    `cache`: the Valkey group (None when not needed)."""

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, secrets: Secrets,
                 serving: ModelServing, audit: Audit, alert_topic_arn: pulumi.Input[str],
                 opts: pulumi.ResourceOptions, provider_keys: Mapping[str, pulumi.Input[str]] | None = None,
                 sso_client_secret: pulumi.Input[str] | None = None):
        super().__init__("blueprints:gateway:Gateway", name, None, opts)
        self._spec, self._ctx = spec, ctx
        namer, region = ctx.namer, ctx.region
        child = pulumi.ResourceOptions(parent=self)

        ns = apply_manifest(namer("gateway-namespace"), namespace(SYNC_LABEL), child)
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        logs_bucket, log_delivery = self._access_log_bucket()
        if spec.gateway.sso is not None:
            # Its one plaintext home (write-only); the ALB's sign-in action needs the value itself (gateway/sso.py).
            secrets.secret(SSO_CLIENT_SECRET, "Identity provider client secret (admin UI sign-in)",
                           value=sso_client_secret)
        self.edge = GatewayEdge(
            namer("edge"), spec, ctx, list(backends(spec).values()), certificate_arn=self._certificate(),
            web_acl_arn=self._web_acl() if spec.gateway.waf else None, logs_bucket=logs_bucket,
            alert_topic_arn=alert_topic_arn, target_security_group_id=ctx.cluster.security_group_id,
            sso_client_secret=sso_client_secret,
            # ELB checks that it may write the log bucket when access logs are turned on.
            opts=pulumi.ResourceOptions(parent=self, depends_on=log_delivery),
        )
        controller = self._load_balancer_controller()

        # The Envoy data plane's rate-limit service counts in the same Valkey.
        envoy_data_plane = data_plane(spec).kind == "envoy"
        self.cache = (ResponseCache(namer("valkey"), spec, ctx, secrets, opts=ctx.k8s_opts(self))
                      if needs_redis(spec) or envoy_data_plane else None)
        routing = (InferenceRouting(namer("inference-routing"), spec, ctx, depends_on=[ns, serving],
                                    opts=ctx.k8s_opts(self), cache=self.cache, secrets=secrets)
                   if routed_models(spec) or envoy_data_plane else None)
        # Models behind the inference extension are reached through it; the others by version, with rollout weights.
        endpoints = routing.endpoints if routing else {}

        self.master_key_secret = secrets.generated_secret(MASTER_KEY_SECRET, "LiteLLM master (admin) key")
        credentials: list[pulumi.Resource] = [
            secrets.sync(NAMESPACE, self.master_key_secret, {MASTER_KEY_ENV: None}, MASTER_KEY_SECRET, opts=in_ns),
        ]
        self.database = self._database(credentials) if spec.gateway_database else None
        if self.cache is not None:
            credentials.append(secrets.sync(NAMESPACE, self.cache.token_secret, {REDIS_PASSWORD_KEY: None},
                                            REDIS_SECRET, opts=in_ns))
        provider_envs = list(provider_credentials(spec))
        if provider_envs:
            # Keys a person supplies (`pulumi config set --secret`), written write-only as one JSON secret.
            provider_secret = secrets.secret(
                PROVIDER_KEYS_SECRET, "Hosted providers' API keys (JSON, one key per credential variable)",
                value=pulumi.Output.json_dumps({env: (provider_keys or {})[env] for env in provider_envs}))
            credentials.append(secrets.sync(NAMESPACE, provider_secret, {env: env for env in provider_envs},
                                            PROVIDER_KEYS_SECRET, opts=in_ns))
        self.content_guardrail = (BedrockContentGuardrail(namer("gateway-guardrail"), spec, ctx, child)
                                  if spec.gateway.bedrock_guardrail else None)
        identity = self._identity(audit, [self.database.connect(ctx, DB_USER, "ConnectToKeyDatabase")]
                                  if self.database else [])
        workload = pulumi.ResourceOptions(parent=self, depends_on=[ns, *credentials, identity])
        for manifest in gateway_manifests(
            spec, region, endpoints=endpoints,
            redis_host=self.cache.host if self.cache else None,
            redis_port=str(self.cache.port) if self.cache else None,
            vpc_cidr=ctx.network.vpc_cidr, routing_namespaces=[NAMESPACE] if routing else [],
            audit_bucket=audit.bucket_name, database_host=self.database.cluster.endpoint if self.database else None,
            load_balancer_arn=self.edge.arn,
        ):
            if self.content_guardrail is not None:
                manifest = self.content_guardrail.attach(manifest)
            apply_manifest(namer("gateway", manifest["kind"].lower()), manifest, workload, autoscaled=True)
        apply_manifest(namer("gateway", "targetgroupbinding"),
                       target_group_binding(backends(spec)[GATEWAY], self.edge.target_group_arns[GATEWAY]),
                       pulumi.ResourceOptions(parent=self, depends_on=[ns, controller]))
        if routing is not None and envoy_data_plane:  # the model requests' target group: Envoy's Service (routing
            # always exists with the Envoy data plane)
            apply_manifest(namer("envoy", "targetgroupbinding"),
                           target_group_binding(backends(spec)[ENVOY], self.edge.target_group_arns[ENVOY]),
                           pulumi.ResourceOptions(parent=self, depends_on=[ns, controller, routing]))
        domain = spec.gateway.domain_name
        host = regional_hostname(spec, region) if domain and len(spec.regions) > 1 else domain
        self.endpoint = f"https://{host}/v1" if host else None
        self.register_outputs({"endpoint": self.endpoint, "load_balancer": self.edge.dns_name})

    def _load_balancer_controller(self) -> pulumi.Resource:
        ctx, spec = self._ctx, self._spec
        identity = PodIdentity(
            ctx.namer("lb-controller"), cluster_name=ctx.cluster.cluster_name, namespace=lb_controller.NAMESPACE,
            service_account=lb_controller.SERVICE_ACCOUNT,
            statements=lb_controller.controller_statements(ctx.region,
                                                        list(self.edge.target_group_arns.values())),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return chart_release(
            ctx.namer("lb-controller"), "aws-load-balancer-controller", lb_controller.NAMESPACE,
            lb_controller.controller_values(ctx.cluster.cluster_name, ctx.region, ctx.network.vpc_id,
                                            2 if spec.environment == "prod" else 1),
            pulumi.ResourceOptions(parent=self, depends_on=[identity]),
        )

    def _certificate(self) -> pulumi.Input[str]:
        return gateway_certificate(self._spec, self._ctx, self)

    def _web_acl(self) -> pulumi.Output[str]:
        return web_acl(self._spec, self._ctx, self)

    def _access_log_bucket(self) -> tuple[pulumi.Output[str], list[pulumi.Resource]]:
        """ALB access logs. ALB log delivery supports only SSE-S3, so this bucket (and its own access-log
        bucket, which S3 server access logging also requires to be SSE-S3) is not KMS-encrypted."""
        namer, spec, ctx = self._ctx.namer, self._spec, self._ctx
        child = pulumi.ResourceOptions(parent=self)
        logs, access = self._bucket("alb-logs"), self._bucket("alb-logs-access")
        aws.s3.BucketLogging(namer("alb-logs"), bucket=logs.id, target_bucket=access.id, target_prefix="alb-logs/",
                             opts=child)
        elb_account = aws.elb.get_service_account_output(opts=pulumi.InvokeOutputOptions(parent=self)).arn
        delivery: list[pulumi.Resource] = []
        alb_delivery = {"Sid": "LogDelivery", "Effect": "Allow", "Principal": {"AWS": elb_account},
                        "Action": "s3:PutObject", "Resource": pulumi.Output.concat(logs.arn, "/*")}
        for bucket, purpose, writer in ((logs, "alb-logs", alb_delivery),
                                        (access, "alb-logs-access", access_log_delivery(access.arn, logs.arn,
                                                                                        ctx.account_id))):
            delivery.append(aws.s3.BucketPolicy(namer(purpose), bucket=bucket.id, policy=policy_document([
                deny_insecure_transport(bucket.arn), writer]), opts=child))
            aws.s3.BucketLifecycleConfiguration(namer(purpose), bucket=bucket.id, rules=[{
                "id": "expire-logs", "status": "Enabled", "filter": {},
                "expiration": {"days": spec.gateway.access_log_retention_days},
                "noncurrent_version_expiration": {"noncurrent_days": 7},
            }], opts=child)
        return logs.bucket, delivery

    def _bucket(self, purpose: str) -> aws.s3.Bucket:
        """ALB access-log delivery supports only SSE-S3 (see policies/suppressions.yaml)."""
        return private_bucket(self._ctx.namer(purpose), self._ctx.account_id, {"sse_algorithm": "AES256"},
                              deletion_protection=self._spec.deletion_protection, parent=self)

    def _identity(self, audit: Audit, database: list[Statement]) -> PodIdentity:
        """The proxy's role: write its audit records, invoke exactly the configured Bedrock models, and connect to
        its database as DB_USER."""
        bedrock = bedrock_statements(self._spec, self._ctx)
        return PodIdentity(
            self._ctx.namer("gateway"), cluster_name=self._ctx.cluster.cluster_name, namespace=NAMESPACE,
            service_account=NAME, statements=[*bedrock, *audit.gateway_writer(), *(
                self.content_guardrail.statements() if self.content_guardrail else []), *database],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _database(self, ready: list[pulumi.Resource]) -> AuroraDatabase:
        """Aurora PostgreSQL Serverless v2 for LiteLLM's DB mode, and the Job creating the IAM-authenticated role
        that owns LiteLLM's schema (appended to `ready`: the proxy migrates the schema at start as that role)."""
        spec, gateway = self._spec, self._spec.gateway
        database = aurora_postgres(
            "gateway-keys", spec, self._ctx, database=DATABASE, master_user=MASTER_USER,
            capacity=Capacity(gateway.database_min_capacity_acu, gateway.database_max_capacity_acu,
                              BACKUP_RETENTION_DAYS, spec.environment == "prod"),
            description="the gateway's key database", parent=self)
        ready.append(bootstrap(database, self._ctx, ns=BOOTSTRAP_NAMESPACE, service_account=BOOTSTRAP_SERVICE_ACCOUNT,
                               sql=bootstrap_sql(), artifact="sql-schema",
                               policy_name=self._ctx.namer("netpol", BOOTSTRAP_NAMESPACE), parent=self))
        return database

