"""Every bucket has versioning enabled (a BucketVersioning companion with status Enabled)."""

from collections.abc import Iterator, Sequence

from .. import tokens
from ..buckets import buckets, companions
from ..model import Finding, Res, StackContext
from ..props import dig, truthy


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    for bucket in buckets(resources):
        inline = truthy(dig(bucket.props, "versioning.enabled"))
        enabled = [
            c for c in companions(bucket, resources, tokens.S3_VERSIONING)
            if dig(c.props, "versioningConfiguration.status") == "Enabled"
        ]
        if not (inline or enabled):
            yield Finding(
                f"bucket {bucket.name!r} has no BucketVersioning with versioningConfiguration.status "
                "'Enabled'", bucket.urn)
