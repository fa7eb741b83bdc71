"""The asynchronous batch tier of one region: data bucket (inputs, outputs, large results), work queue with a
dead-letter queue, job and idempotency tables, the batch-worker image repository, pod identities, and the jobs
API + KEDA-scaled worker in namespace `batch` (see blueprints.batch).

Served behind the gateway's edge: the gateway's ALB routes `/v1/batches` and `/v1/files` to Service `batch-api`
(its `batch` target group, bound here). Batch clients present the batch tier's own key (generated and rotated in
Secrets Manager); the worker calls the gateway with its own virtual key (see `BatchTier`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from blueprints.batch.manifests import (
    API,
    API_KEYS_SECRET,
    NAMESPACE,
    UPSTREAM_KEY_SECRET,
    WORKER,
    network_policies,
    node_pool_manifest,
    queue_visibility_timeout_s,
    runtime_environment,
    scaling_manifests,
    uses_spot_pool,
    workload_manifests,
)
from blueprints.components.buckets import access_log_delivery, deny_insecure_transport, private_bucket
from blueprints.components.iam import PodIdentity, Statement, allow, deny_plain_http, policy_document
from blueprints.components.images import runtime_image
from blueprints.components.keda import Keda
from blueprints.components.kube import apply_manifest
from blueprints.components.secrets import SYNC_LABEL, Secrets
from blueprints.gateway.edge import BATCH, backends, target_group_binding
from blueprints.gateway.manifests import NAME as GATEWAY_SERVICE
from blueprints.gateway.manifests import NAMESPACE as GATEWAY_NAMESPACE
from blueprints.gateway.manifests import PORT as GATEWAY_PORT
from blueprints.retrieval.manifests import namespace
from blueprints.spec import PlatformSpec
from blueprints.versions import BATCH_WORKER_TAG

if TYPE_CHECKING:
    from blueprints.context import RegionContext

DAY_S = 86_400
GATEWAY_URL = f"http://{GATEWAY_SERVICE}.{GATEWAY_NAMESPACE}.svc.cluster.local:{GATEWAY_PORT}/v1"
"""Where the worker sends requests: the gateway's in-cluster Service (keys, limits, fallbacks, pinned prompts)."""
QUEUE_RETENTION_S = 4 * DAY_S
"""Longer than the 24 h completion window: a line is never dropped by the queue before its batch expires."""
DLQ_RETENTION_S = 14 * DAY_S
KEDA_OPERATOR_ROLE = "keda"
"""Logical name part of the KEDA operator's pod identity role (blueprints.components.keda): the only principal
that may assume the scaler role."""
S3_OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject"]
TABLE_ACTIONS = ["dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query",
                 "dynamodb:UpdateItem"]
API_QUEUE_ACTIONS = ["sqs:GetQueueAttributes", "sqs:SendMessage"]
WORKER_QUEUE_ACTIONS = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                        "sqs:ReceiveMessage"]


class BatchTier(pulumi.ComponentResource):
    """`scaler_role_arn` is the role the KEDA operator assumes to read the queue depth (its own identity needs
    sts:AssumeRole on it)."""

    scaler_role_arn: pulumi.Output[str]

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, secrets: Secrets,
                 opts: pulumi.ResourceOptions, *, target_group_arn: pulumi.Input[str],
                 gateway_key: aws.secretsmanager.Secret, keda_ready: list[pulumi.Resource] | None = None):
        """`target_group_arn`: the gateway ALB's `batch` target group (GatewayEdge); `gateway_key`: the secret of the
        worker's own gateway key (`platform-batch`, issued and written by the key reconciler Job), synced for the
        worker only. Batch clients get the tier's own generated key. `keda_ready`: the serving component's KEDA
        release; None and no self-hosted model = this component installs KEDA."""
        super().__init__("blueprints:batch:BatchTier", name, None, opts)
        self._spec, self._ctx, self._namer = spec, ctx, ctx.namer
        namer, child = ctx.namer, pulumi.ResourceOptions(parent=self)
        data_key = ctx.keys.arn("data")

        self.bucket = self._bucket()
        dlq = aws.sqs.Queue(namer("batch-dlq"), message_retention_seconds=DLQ_RETENTION_S,
                            kms_master_key_id=data_key, kms_data_key_reuse_period_seconds=300, opts=child)
        queue = aws.sqs.Queue(
            namer("batch-queue"), message_retention_seconds=QUEUE_RETENTION_S, kms_master_key_id=data_key,
            kms_data_key_reuse_period_seconds=300, visibility_timeout_seconds=queue_visibility_timeout_s(spec),
            receive_wait_time_seconds=20,
            redrive_policy=pulumi.Output.json_dumps({"deadLetterTargetArn": dlq.arn,
                                                     "maxReceiveCount": spec.batch.max_deliveries}),
            opts=child,
        )
        aws.sqs.RedriveAllowPolicy(namer("batch-dlq"), queue_url=dlq.url, redrive_allow_policy=pulumi.Output.json_dumps(
            {"redrivePermission": "byQueue", "sourceQueueArns": [queue.arn]}), opts=child)
        for label, target in (("batch-queue", queue), ("batch-dlq", dlq)):
            aws.sqs.QueuePolicy(namer(label), queue_url=target.url,
                                policy=policy_document([deny_plain_http("sqs:*", [target.arn])]), opts=child)
        jobs = self._table("batch-jobs", [("id", "HASH")])
        requests = self._table("batch-requests", [("batch_id", "HASH"), ("custom_id", "RANGE")])
        repository, image = runtime_image("batch-worker", BATCH_WORKER_TAG, spec, ctx, self)

        objects = pulumi.ResourceOptions(parent=self, depends_on=[
            apply_manifest(namer("batch-ns"), namespace(NAMESPACE, SYNC_LABEL), child)])
        client_key = secrets.generated_secret("batch-api-key", "Bearer key of the batch jobs API (its clients)")
        credentials = [secrets.sync(NAMESPACE, client_key, {"api-keys": None}, name=API_KEYS_SECRET, opts=objects),
                       secrets.sync(NAMESPACE, gateway_key, {"upstream-api-key": None}, name=UPSTREAM_KEY_SECRET,
                                    opts=objects)]
        tables = [jobs.arn, requests.arn]
        objects_arn = pulumi.Output.concat(self.bucket.arn, "/*")
        identities = [
            self._identity(API, [allow(S3_OBJECT_ACTIONS, [objects_arn], "Files"),
                                 allow(TABLE_ACTIONS, tables, "Jobs"),
                                 allow(API_QUEUE_ACTIONS, [queue.arn], "Enqueue")]),
            self._identity(WORKER, [allow(S3_OBJECT_ACTIONS, [objects_arn], "Files"),
                                    allow(TABLE_ACTIONS, tables, "Jobs"),
                                    allow(WORKER_QUEUE_ACTIONS, [queue.arn, dlq.arn], "Consume")]),
        ]
        self.scaler_role_arn = self._scaler_role(queue.arn)

        variables = runtime_environment(spec, GATEWAY_URL, {
            "bucket": self.bucket.bucket, "kms_key_id": data_key, "jobs_table": jobs.name,
            "requests_table": requests.name, "queue_url": queue.url, "dlq_url": dlq.url})
        ready = pulumi.ResourceOptions(parent=self, depends_on=[*identities, *credentials, *objects.depends_on])
        scaled = pulumi.ResourceOptions.merge(ready, pulumi.ResourceOptions(ignore_changes=["spec.replicas"]))
        for manifest in workload_manifests(spec, variables, image=image, region=ctx.region):
            kind, object_name = manifest["kind"], manifest["metadata"]["name"]
            # KEDA's HPA owns the worker's replica count once it exists.
            apply_manifest(namer("batch", kind.lower(), object_name), manifest,
                           scaled if (kind, object_name) == ("Deployment", WORKER) else ready)
        for policy in network_policies(ctx.network.vpc_cidr):
            apply_manifest(namer("batch-netpol", policy["metadata"]["name"]), policy, objects)

        keda = keda_ready if keda_ready is not None else (
            [] if spec.self_hosted_models else Keda(namer("batch-keda"), spec, ctx, opts=child).ready)
        scaling = pulumi.ResourceOptions(parent=self, depends_on=[*objects.depends_on, *keda])
        for manifest in scaling_manifests(spec, queue_url=queue.url, region=ctx.region,
                                          scaler_role_arn=self.scaler_role_arn):
            _custom(namer("batch", manifest["kind"].lower()), manifest, scaling)
        if uses_spot_pool(spec):
            _custom(namer("nodepool", "batch"), node_pool_manifest(spec), child)

        # /v1/batches and /v1/files on the gateway's ALB: same hostname, TLS, WAF and access logs.
        apply_manifest(namer("batch", "targetgroupbinding"),
                       target_group_binding(backends(spec)[BATCH], target_group_arn), objects)
        self.queue_url, self.dlq_url = queue.url, dlq.url
        self.register_outputs({"bucket": self.bucket.bucket, "queue_url": queue.url, "dlq_url": dlq.url,
                               "jobs_table": jobs.name, "requests_table": requests.name,
                               "repository": repository.repository_url, "scaler_role_arn": self.scaler_role_arn})

    def _identity(self, service_account: str, statements: list[Statement]) -> PodIdentity:
        identity = PodIdentity(self._namer(service_account), cluster_name=self._ctx.cluster.cluster_name,
                               namespace=NAMESPACE, service_account=service_account, statements=statements,
                               opts=pulumi.ResourceOptions(parent=self))
        self._ctx.keys.grant_encrypt_decrypt("data", self._namer(service_account, "data"), identity.role_arn)
        return identity

    def _scaler_role(self, queue_arn: pulumi.Output[str]) -> pulumi.Output[str]:
        """Read-only access to the queue's depth, assumable only by the KEDA operator's role."""
        ctx, child = self._ctx, pulumi.ResourceOptions(parent=self)
        operator = pulumi.Output.concat("arn:aws:iam::", ctx.account_id, ":role/", self._namer(KEDA_OPERATOR_ROLE),
                                        "-*")
        role = aws.iam.Role(self._namer("batch-scaler"), description="KEDA reads the batch queue depth",
                            assume_role_policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [{
                                "Effect": "Allow", "Action": "sts:AssumeRole",
                                "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", ctx.account_id, ":root")},
                                "Condition": {"ArnLike": {"aws:PrincipalArn": operator}}}]}),
                            opts=child)
        aws.iam.RolePolicy(self._namer("batch-scaler"), role=role.id, policy=policy_document([
            allow(["sqs:GetQueueAttributes"], [queue_arn], "QueueDepth")]), opts=child)
        return role.arn

    def _table(self, name: str, keys: list[tuple[str, str]]) -> aws.dynamodb.Table:
        spec = self._spec
        return aws.dynamodb.Table(
            self._namer(name), name=self._namer(name), billing_mode="PAY_PER_REQUEST",
            hash_key=keys[0][0], range_key=keys[1][0] if len(keys) > 1 else None,
            attributes=[{"name": attribute, "type": "S"} for attribute, _ in keys],
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": self._ctx.keys.arn("data")},
            ttl={"attribute_name": "expires_at", "enabled": True},
            deletion_protection_enabled=spec.deletion_protection,
            opts=pulumi.ResourceOptions(parent=self, protect=spec.deletion_protection),
        )

    def _bucket(self) -> aws.s3.Bucket:
        """Versioned, KMS-encrypted (data key), private, TLS-only, access-logged, expired after retention."""
        namer, ctx, spec = self._namer, self._ctx, self._spec
        child = pulumi.ResourceOptions(parent=self)
        logs = self._plain_bucket("batch-logs", {"sse_algorithm": "AES256"})
        bucket = self._plain_bucket("batch", {"sse_algorithm": "aws:kms", "kms_master_key_id": ctx.keys.arn("data")})
        aws.s3.BucketLogging(namer("batch"), bucket=bucket.id, target_bucket=logs.id, target_prefix="batch/",
                             opts=child)
        aws.s3.BucketPolicy(namer("batch-logs"), bucket=logs.id, policy=policy_document([
            deny_insecure_transport(logs.arn), access_log_delivery(logs.arn, bucket.arn, ctx.account_id, "batch/"),
        ]), opts=child)
        aws.s3.BucketPolicy(namer("batch"), bucket=bucket.id,
                            policy=policy_document([deny_insecure_transport(bucket.arn)]),
                            opts=child)
        for label, target, days in (("batch", bucket, spec.batch.retention_days),
                                    ("batch-logs", logs, spec.audit.retention_days)):
            aws.s3.BucketLifecycleConfiguration(namer(label), bucket=target.id, rules=[{
                "id": "expire", "status": "Enabled", "filter": {}, "expiration": {"days": days},
                "noncurrent_version_expiration": {"noncurrent_days": 7},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
            }], opts=child)
        return bucket

    def _plain_bucket(self, name: str, encryption: dict[str, Any]) -> aws.s3.Bucket:
        return private_bucket(self._namer(name), self._ctx.account_id, encryption,
                              deletion_protection=self._spec.deletion_protection, parent=self)


def _custom(name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions) -> k8s.apiextensions.CustomResource:
    return k8s.apiextensions.CustomResource(name, api_version=manifest["apiVersion"], kind=manifest["kind"],
                                            metadata=manifest["metadata"], spec=manifest["spec"], opts=opts)
