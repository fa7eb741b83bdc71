"""The bucket CloudTrail writes to keeps objects immutable (S3 Object Lock)."""

from collections.abc import Iterator, Sequence

from .. import tokens
from ..buckets import companions, find_bucket
from ..model import Finding, Res, StackContext
from ..props import truthy


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    for trail in (r for r in resources if r.type in tokens.CLOUDTRAIL):
        bucket = find_bucket(trail.props.get("s3BucketName"), resources)
        if bucket is None:
            continue
        locks = [c for c in companions(bucket, resources, tokens.S3_OBJECT_LOCK) if c.props.get("rule")]
        if not (truthy(bucket.props.get("objectLockEnabled")) and locks):
            yield Finding(
                f"audit bucket {bucket.name!r} (trail {trail.name!r}) needs objectLockEnabled true and a "
                "BucketObjectLockConfiguration with a default retention rule", bucket.urn)
