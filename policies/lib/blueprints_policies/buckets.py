"""Joins an S3 bucket with the companion resources that configure it in pulumi-aws v7
(BucketVersioning, BucketServerSideEncryptionConfiguration, BucketPublicAccessBlock, BucketLogging, ...).

A companion names its bucket in its `bucket` property; that value is the bucket's id or name, so a
companion belongs to a bucket when the value is one of the bucket's identifiers. When the value cannot be
matched (an engine that did not record the id), a companion that depends on exactly one bucket belongs to it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from . import tokens
from .model import Res


def identifiers(bucket: Res) -> set[str]:
    ids = {bucket.props.get("id"), bucket.props.get("bucket"), bucket.props.get("arn")}
    return {str(i) for i in ids if i}


def buckets(resources: Sequence[Res]) -> Iterator[Res]:
    return (r for r in resources if r.type in tokens.S3_BUCKET)


def _owner(companion: Res, all_buckets: Sequence[Res]) -> Res | None:
    reference = str(companion.props.get("bucket"))
    for bucket in all_buckets:
        if reference in identifiers(bucket):
            return bucket
    depended = [b for b in all_buckets if b.urn in companion.dependencies]
    return depended[0] if len(depended) == 1 else None


def companions(bucket: Res, resources: Sequence[Res], types: tuple[str, ...]) -> list[Res]:
    all_buckets = list(buckets(resources))
    return [r for r in resources if r.type in types and (owner := _owner(r, all_buckets)) is not None
            and owner.urn == bucket.urn]


def find_bucket(reference: object, resources: Sequence[Res]) -> Res | None:
    """The bucket a name/id/ARN reference (e.g. a trail's `s3BucketName`) points at, if it is in the stack."""
    for bucket in buckets(resources):
        if str(reference) in identifiers(bucket):
            return bucket
    return None


def access_log_targets(resources: Sequence[Res]) -> set[str]:
    """Identifiers named as `targetBucket` by any BucketLogging (the buckets receiving server access logs)."""
    return {str(r.props.get("targetBucket")) for r in resources if r.type in tokens.S3_LOGGING}
