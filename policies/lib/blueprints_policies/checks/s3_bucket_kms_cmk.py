"""Every bucket encrypts by default with a customer-managed KMS key (sseAlgorithm aws:kms + kmsMasterKeyId)."""

from collections.abc import Iterator, Sequence

from ..buckets import buckets
from ..model import Finding, Res, StackContext
from .s3_bucket_encrypted import sse_algorithms


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    for bucket in buckets(resources):
        rules = sse_algorithms(bucket, resources)
        if not any(alg in ("aws:kms", "aws:kms:dsse") and key for alg, key in rules):
            yield Finding(
                f"bucket {bucket.name!r} is not encrypted with a customer-managed key: set "
                "rules[].applyServerSideEncryptionByDefault.sseAlgorithm 'aws:kms' and kmsMasterKeyId "
                "on its BucketServerSideEncryptionConfiguration", bucket.urn)
