"""Model artifacts of one region: the checkpoint bucket (versioned, KMS, access-logged, TLS-only), its access-log
bucket, and the ECR repositories of the serving images (immutable tags, scan on push, KMS).

The primary region replicates to the others (`replicate_artifacts`): S3 replication of every checkpoint
(re-encrypted with the destination's artifacts key) and ECR registry replication of the serving repositories,
whose same-named repositories exist in every region with the same settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from blueprints.components.buckets import access_log_delivery, deny_insecure_transport, private_bucket
from blueprints.components.iam import allow, policy_document, service_trust
from blueprints.serving.engines import ENGINES
from blueprints.spec import PlatformSpec

if TYPE_CHECKING:
    from blueprints.context import RegionContext

MODELS_PREFIX = "models/"


def repository_name(spec: PlatformSpec, image: str) -> str:
    """The same in every region, as ECR replication requires: `<platform>-<env>/<image>`."""
    return f"{spec.name}-{spec.environment}/{image}"


class ModelArtifacts(pulumi.ComponentResource):
    """Checkpoint bucket + log bucket + ECR repositories of one region."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    repository_urls: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, opts: pulumi.ResourceOptions):
        super().__init__("blueprints:serving:ModelArtifacts", name, None, opts)
        self._spec, self._ctx = spec, ctx
        child = pulumi.ResourceOptions(parent=self)
        namer = ctx.namer
        self.key_arn = ctx.keys.arn("artifacts")
        # What replicas into this region are encrypted with: the artifacts key, else S3's AWS-managed key.
        self.replica_key_arn = self.key_arn or pulumi.Output.concat(
            "arn:aws:kms:", ctx.region, ":", ctx.account_id, ":alias/aws/s3")

        logs = self._bucket("model-logs", sse_kms=False)
        _retire_after(namer("model-logs"), logs, spec.audit.retention_days, child)
        bucket = self._bucket("models", sse_kms=True)
        aws.s3.BucketPolicy(namer("model-logs"), bucket=logs.id, policy=policy_document([
            deny_insecure_transport(logs.arn), access_log_delivery(logs.arn, bucket.arn, ctx.account_id),
        ]), opts=child)
        aws.s3.BucketLogging(namer("models"), bucket=bucket.id, target_bucket=logs.id,
                             target_prefix="models/", opts=child)
        aws.s3.BucketPolicy(namer("models"), bucket=bucket.id, policy=policy_document([
            deny_insecure_transport(bucket.arn),
            *([{"Sid": "DenyOtherKeys", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                "Resource": pulumi.Output.concat(bucket.arn, "/*"),
                "Condition": {"StringNotEqualsIfExists": {
                    "s3:x-amz-server-side-encryption-aws-kms-key-id": self.key_arn}}}] if self.key_arn else []),
        ]), opts=child)
        self._bucket_resource = bucket
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn

        self.repository_urls = {}
        for engine in ENGINES.values():
            repo = aws.ecr.Repository(
                namer("ecr", engine.image), name=repository_name(spec, engine.image),
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration={"scan_on_push": True},
                encryption_configurations=[{"encryption_type": "KMS", "kms_key": self.key_arn}],
                force_delete=not spec.deletion_protection, opts=child,
            )
            aws.ecr.LifecyclePolicy(namer("ecr", engine.image), repository=repo.name, policy=_KEEP_TAGGED,
                                    opts=child)
            self.repository_urls[engine.image] = pulumi.Output.concat(
                ctx.account_id, ".dkr.ecr.", ctx.region, ".amazonaws.com/", repo.name)
        self.register_outputs({"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn})

    def _bucket(self, purpose: str, sse_kms: bool) -> aws.s3.Bucket:
        """Access-log targets use SSE-S3: S3 server access logging cannot deliver to an SSE-KMS bucket. SSE-KMS
        uses the artifacts key, or S3's AWS-managed key (aws/s3) without customer-managed keys."""
        encryption = ({"sse_algorithm": "aws:kms", "kms_master_key_id": self.key_arn} if sse_kms
                      else {"sse_algorithm": "AES256"})
        return private_bucket(self._ctx.namer(purpose), self._ctx.account_id, encryption,
                              deletion_protection=self._spec.deletion_protection, parent=self)

    def read_statements(self, model: str) -> list[dict]:
        """What a model's pods may do: list and read its own prefix, decrypt with the artifacts key."""
        prefix = f"{MODELS_PREFIX}{model}/"
        return [
            allow(["s3:ListBucket"], [self.bucket_arn], "ListOwnPrefix",
                  StringLike={"s3:prefix": [prefix, f"{prefix}*"]}),
            allow(["s3:GetObject"], [pulumi.Output.concat(self.bucket_arn, "/", prefix, "*")], "ReadOwnPrefix"),
            *self._ctx.keys.key_statements(["kms:Decrypt"], ["artifacts"], "DecryptArtifacts",
                                           StringEquals={"kms:ViaService": f"s3.{self._ctx.region}.amazonaws.com"}),
        ]

    def replicate_to(self, replicas: Sequence[ModelArtifacts]) -> None:
        """S3 and ECR replication from this (primary) region to the others."""
        if not replicas:
            return
        namer, child = self._ctx.namer, pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(namer("models-replication"), assume_role_policy=service_trust("s3.amazonaws.com"),
                            opts=child)
        destinations = [replica.bucket_arn for replica in replicas]
        aws.iam.RolePolicy(namer("models-replication"), role=role.id, policy=policy_document([
            allow(["s3:GetReplicationConfiguration", "s3:ListBucket"], [self.bucket_arn], "SourceBucket"),
            allow(["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
                  [pulumi.Output.concat(self.bucket_arn, "/*")], "SourceObjects"),
            allow(["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                  [pulumi.Output.concat(arn, "/*") for arn in destinations], "DestinationObjects"),
            *self._ctx.keys.key_statements(["kms:Decrypt"], ["artifacts"], "DecryptSource",
                                           StringLike={"kms:ViaService": f"s3.{self._ctx.region}.amazonaws.com"}),
            *([allow(["kms:Encrypt", "kms:GenerateDataKey"], [replica.key_arn for replica in replicas],
                     "EncryptDestination",
                     StringLike={"kms:ViaService": [f"s3.{r._ctx.region}.amazonaws.com" for r in replicas]})]
              if self.key_arn else []),
        ]), opts=child)
        aws.s3.BucketReplicationConfig(
            namer("models"), bucket=self._bucket_resource.id, role=role.arn,
            rules=[{
                "id": f"to-{replica._ctx.region}", "status": "Enabled", "priority": index,
                "filter": {"prefix": MODELS_PREFIX},
                "delete_marker_replication": {"status": "Enabled"},
                "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                "destination": {"bucket": replica.bucket_arn, "storage_class": "STANDARD",
                                "encryption_configuration": {"replica_kms_key_id": replica.replica_key_arn}},
            } for index, replica in enumerate(replicas)],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[r._bucket_resource for r in replicas]),
        )
        aws.ecr.ReplicationConfiguration(
            namer("ecr-replication"),
            replication_configuration={"rules": [{
                "destinations": [{"region": replica._ctx.region, "registry_id": self._ctx.account_id}
                                 for replica in replicas],
                "repository_filters": [{"filter": f"{self._spec.name}-{self._spec.environment}/",
                                        "filter_type": "PREFIX_MATCH"}],
            }]},
            opts=child,
        )


def replicate_artifacts(regions: Sequence[ModelArtifacts | None]) -> None:
    """Wire the primary region's artifacts (first) to replicate to every other region's."""
    present = [artifacts for artifacts in regions if artifacts is not None]
    if present:
        present[0].replicate_to(present[1:])


_KEEP_TAGGED = """{"rules": [{"rulePriority": 1, "description": "Expire untagged layers after 14 days",
  "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
  "action": {"type": "expire"}}]}"""


def _retire_after(name: str, bucket: aws.s3.Bucket, days: int, opts: pulumi.ResourceOptions) -> None:
    aws.s3.BucketLifecycleConfiguration(name, bucket=bucket.id, rules=[{
        "id": "retire-access-logs", "status": "Enabled", "filter": {"prefix": ""},
        "expiration": {"days": days}, "noncurrent_version_expiration": {"noncurrent_days": 7},
    }], opts=opts)
