"""Every bucket encrypts by default with a customer-managed KMS key (sseAlgorithm aws:kms + kmsMasterKeyId).
Server-access-log target buckets are exempt: S3 log delivery supports only SSE-S3 on them."""

from collections.abc import Iterator, Sequence

from ..buckets import access_log_targets, buckets, identifiers
from ..model import Finding, Res, StackContext
from .s3_bucket_encrypted import sse_algorithms


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    targets = access_log_targets(resources)
    for bucket in buckets(resources):
        if identifiers(bucket) & targets:
            continue
        rules = sse_algorithms(bucket, resources)
        if not any(alg in ("aws:kms", "aws:kms:dsse") and key for alg, key in rules):
            yield Finding(
                f"bucket {bucket.name!r} is not encrypted with a customer-managed key: set "
                "rules[].applyServerSideEncryptionByDefault.sseAlgorithm 'aws:kms' and kmsMasterKeyId "
                "on its BucketServerSideEncryptionConfiguration", bucket.urn)
