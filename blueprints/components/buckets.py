"""S3 building blocks shared by every component that keeps data in a bucket."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from blueprints.components.iam import Statement


def deny_insecure_transport(bucket_arn: pulumi.Input[str]) -> Statement:
    """Bucket-policy statement refusing every request to the bucket and its objects that does not use TLS."""
    return {
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def access_log_delivery(log_bucket_arn: pulumi.Input[str], source_bucket_arn: pulumi.Input[str],
                        account_id: pulumi.Input[str], prefix: str = "") -> Statement:
    """Bucket-policy statement letting S3 server access logging write one source bucket's logs, and only that
    bucket's (Amazon S3 User Guide, enable-server-access-logging.html: aws:SourceArn and aws:SourceAccount)."""
    return {
        "Sid": "S3ServerAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": pulumi.Output.concat(log_bucket_arn, "/", prefix, "*"),
        "Condition": {"ArnLike": {"aws:SourceArn": source_bucket_arn},
                      "StringEquals": {"aws:SourceAccount": account_id}},
    }


def private_bucket(name: str, account_id: pulumi.Input[str], encryption: dict[str, Any], *,
                   deletion_protection: bool, parent: pulumi.Resource) -> aws.s3.Bucket:
    """A bucket named `<name>-<account>`: owner-enforced, public access blocked, versioned and encrypted by default
    (`encryption` is S3's apply_server_side_encryption_by_default, e.g. {"sse_algorithm": "aws:kms", ...})."""
    child = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(name, bucket=pulumi.Output.concat(name, "-", account_id),
                           force_destroy=not deletion_protection,
                           opts=pulumi.ResourceOptions(parent=parent, protect=deletion_protection))
    aws.s3.BucketOwnershipControls(name, bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"},
                                   opts=child)
    aws.s3.BucketPublicAccessBlock(name, bucket=bucket.id, block_public_acls=True, block_public_policy=True,
                                   ignore_public_acls=True, restrict_public_buckets=True, opts=child)
    aws.s3.BucketVersioning(name, bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child)
    aws.s3.BucketServerSideEncryptionConfiguration(
        name, bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": encryption,
                "bucket_key_enabled": encryption["sse_algorithm"] == "aws:kms"}], opts=child)
    return bucket
