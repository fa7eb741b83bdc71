"""Every bucket writes server access logs (BucketLogging with a targetBucket); the buckets that receive
access logs are exempt, since logging a log bucket into itself loops."""

from collections.abc import Iterator, Sequence

from .. import tokens
from ..buckets import access_log_targets, buckets, companions, identifiers
from ..model import Finding, Res, StackContext


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    targets = access_log_targets(resources)
    for bucket in buckets(resources):
        if identifiers(bucket) & targets:
            continue
        logging = [c for c in companions(bucket, resources, tokens.S3_LOGGING) if c.props.get("targetBucket")]
        if not logging:
            yield Finding(f"bucket {bucket.name!r} has no BucketLogging with a targetBucket", bucket.urn)
