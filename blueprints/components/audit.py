"""Tamper-evident audit trail of one region.

Every region has an audit bucket (KMS audit key, versioned, TLS only, access-logged, Glacier Instant Retrieval
after `audit.archive_after_days`, expired after `audit.retention_days`, and with `audit.object_lock` locked in
COMPLIANCE mode for that long) that the gateway writes its request records to, so they stay in the region.
The primary region also holds the platform's multi-region CloudTrail trail (log-file validation, KMS, CloudWatch
Logs delivery). EKS audit logs come from the cluster's control-plane logs and VPC flow logs from the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from blueprints.components.buckets import access_log_delivery, deny_insecure_transport
from blueprints.components.iam import Statement, allow, policy_document, service_trust
from blueprints.gateway.audit import GATEWAY_PREFIX
from blueprints.spec import PlatformSpec

if TYPE_CHECKING:
    from blueprints.context import RegionContext

CLOUDTRAIL_PREFIX = "cloudtrail"


class Audit(pulumi.ComponentResource):
    """`bucket_name` / `bucket_arn`: the region's audit bucket; `gateway_writer()`: IAM statements for the gateway."""

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, *, primary: bool,
                 opts: pulumi.ResourceOptions):
        super().__init__("blueprints:audit:Audit", name, None, opts)
        self._spec, self._ctx = spec, ctx
        namer = ctx.namer
        access_logs = self._access_log_bucket()
        bucket = aws.s3.Bucket(namer("audit"), bucket=namer("audit"), object_lock_enabled=spec.audit.object_lock,
                               force_destroy=False, tags={"Name": namer("audit")},
                               opts=pulumi.ResourceOptions(parent=self, protect=spec.deletion_protection))
        child = pulumi.ResourceOptions(parent=self)
        self._harden(namer("audit"), bucket, versioning=True)
        aws.s3.BucketServerSideEncryptionConfiguration(namer("audit"), bucket=bucket.id, rules=[{
            "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms",
                                                        "kms_master_key_id": ctx.keys.arn("audit")},
            "bucket_key_enabled": True}], opts=child)
        aws.s3.BucketLogging(namer("audit"), bucket=bucket.id, target_bucket=access_logs.id,
                             target_prefix="audit/", opts=child)
        aws.s3.BucketLifecycleConfiguration(namer("audit"), bucket=bucket.id, rules=[{
            "id": "archive-then-expire", "status": "Enabled", "filter": {},
            "transitions": [{"days": spec.audit.archive_after_days, "storage_class": "GLACIER_IR"}],
            "expiration": {"days": spec.audit.retention_days},
            "noncurrent_version_expiration": {"noncurrent_days": spec.audit.retention_days},
        }], opts=child)
        if spec.audit.object_lock:
            aws.s3.BucketObjectLockConfiguration(namer("audit"), bucket=bucket.id, object_lock_enabled="Enabled",
                                                 rule={"default_retention": {"mode": "COMPLIANCE",
                                                                             "days": spec.audit.retention_days}},
                                                 opts=child)
        trail_arn = pulumi.Output.concat("arn:aws:cloudtrail:", ctx.region, ":", ctx.account_id, ":trail/",
                                         namer("trail"))
        statements = [deny_insecure_transport(bucket.arn)]
        if primary and spec.audit.cloudtrail:
            statements += self._cloudtrail_statements(bucket.arn, trail_arn)
        policy = aws.s3.BucketPolicy(namer("audit"), bucket=bucket.id, policy=policy_document(statements), opts=child)
        if primary and spec.audit.cloudtrail:
            self._trail(bucket, policy)
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.register_outputs({"bucket_name": bucket.bucket, "bucket_arn": bucket.arn})

    def gateway_writer(self) -> list[Statement]:
        """What the gateway's pod identity needs to write its records (and encrypt them with the audit key)."""
        return [allow(["s3:PutObject"], [pulumi.Output.concat(self.bucket_arn, f"/{GATEWAY_PREFIX}/*")]),
                *self._ctx.keys.key_statements(["kms:GenerateDataKey"], ["audit"])]

    def _harden(self, name: str, bucket: aws.s3.Bucket, versioning: bool) -> None:
        child = pulumi.ResourceOptions(parent=self)
        aws.s3.BucketPublicAccessBlock(name, bucket=bucket.id, block_public_acls=True, block_public_policy=True,
                                       ignore_public_acls=True, restrict_public_buckets=True, opts=child)
        aws.s3.BucketOwnershipControls(name, bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"},
                                       opts=child)
        if versioning:
            aws.s3.BucketVersioning(name, bucket=bucket.id, versioning_configuration={"status": "Enabled"},
                                    opts=child)

    def _access_log_bucket(self) -> aws.s3.Bucket:
        """Server access logs of the audit bucket. S3 delivers access logs only to SSE-S3 buckets (not SSE-KMS),
        so this one bucket uses AES256; it is the end of the logging chain and is not itself access-logged."""
        namer, spec = self._ctx.namer, self._spec
        name = namer("audit-access-logs")
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(name, bucket=name, tags={"Name": name},
                               opts=pulumi.ResourceOptions(parent=self, protect=spec.deletion_protection))
        self._harden(name, bucket, versioning=True)
        aws.s3.BucketServerSideEncryptionConfiguration(name, bucket=bucket.id, rules=[{
            "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}], opts=child)
        aws.s3.BucketLifecycleConfiguration(name, bucket=bucket.id, rules=[{
            "id": "expire", "status": "Enabled", "filter": {},
            "expiration": {"days": spec.audit.retention_days},
            "noncurrent_version_expiration": {"noncurrent_days": 30},
        }], opts=child)
        # The audit bucket (named namer("audit"), created next) is the only source of these logs.
        logging_service = access_log_delivery(bucket.arn, f"arn:aws:s3:::{namer('audit')}", self._ctx.account_id)
        aws.s3.BucketPolicy(name, bucket=bucket.id,
                            policy=policy_document([deny_insecure_transport(bucket.arn), logging_service]),
                            opts=child)
        return bucket

    def _cloudtrail_statements(self, bucket_arn: pulumi.Output[str],
                               trail_arn: pulumi.Output[str]) -> list[Statement]:
        source = {"StringEquals": {"aws:SourceArn": trail_arn, "aws:SourceAccount": self._ctx.account_id}}
        service = {"Service": "cloudtrail.amazonaws.com"}
        return [
            {"Sid": "CloudTrailAclCheck", "Effect": "Allow", "Principal": service, "Action": "s3:GetBucketAcl",
             "Resource": bucket_arn, "Condition": source},
            {"Sid": "CloudTrailWrite", "Effect": "Allow", "Principal": service, "Action": "s3:PutObject",
             "Resource": pulumi.Output.concat(bucket_arn, f"/{CLOUDTRAIL_PREFIX}/AWSLogs/", self._ctx.account_id,
                                              "/*"),
             "Condition": {"StringEquals": {**source["StringEquals"], "s3:x-amz-acl": "bucket-owner-full-control"}}},
        ]

    def _trail(self, bucket: aws.s3.Bucket, policy: aws.s3.BucketPolicy) -> None:
        namer, ctx, child = self._ctx.namer, self._ctx, pulumi.ResourceOptions(parent=self)
        group = aws.cloudwatch.LogGroup(
            namer("cloudtrail"), name=f"/blueprints/{namer.prefix}/cloudtrail",
            retention_in_days=self._spec.observability.log_retention_days, kms_key_id=ctx.keys.arn("logs"),
            opts=child)
        role = aws.iam.Role(namer("cloudtrail"), assume_role_policy=service_trust("cloudtrail.amazonaws.com"),
                            opts=child)
        streams = pulumi.Output.concat(group.arn, ":*")
        aws.iam.RolePolicy(namer("cloudtrail"), role=role.id, policy=policy_document(
            [allow(["logs:CreateLogStream", "logs:PutLogEvents"], [streams])]), opts=child)
        aws.cloudtrail.Trail(
            namer("trail"), name=namer("trail"), s3_bucket_name=bucket.bucket, s3_key_prefix=CLOUDTRAIL_PREFIX,
            is_multi_region_trail=True, include_global_service_events=True, enable_log_file_validation=True,
            kms_key_id=ctx.keys.arn("audit"), cloud_watch_logs_group_arn=streams, cloud_watch_logs_role_arn=role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]))
