"""Every bucket has a BucketPublicAccessBlock with all four settings true."""

from collections.abc import Iterator, Sequence

from .. import tokens
from ..buckets import buckets, companions
from ..model import Finding, Res, StackContext
from ..props import truthy

SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    for bucket in buckets(resources):
        blocks = companions(bucket, resources, tokens.S3_PUBLIC_ACCESS_BLOCK)
        if not blocks:
            yield Finding(f"bucket {bucket.name!r} has no BucketPublicAccessBlock", bucket.urn)
            continue
        missing = sorted({s for s in SETTINGS if not any(truthy(b.props.get(s)) for b in blocks)})
        if missing:
            yield Finding(f"bucket {bucket.name!r}: BucketPublicAccessBlock must set {missing} to true",
                          bucket.urn)
