"""Every bucket has a default server-side encryption rule (SSE-S3, SSE-KMS or DSSE-KMS)."""

from collections.abc import Iterator, Sequence

from .. import tokens
from ..buckets import buckets, companions
from ..model import Finding, Res, StackContext
from ..props import dig, items

ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


def sse_algorithms(bucket: Res, resources: Sequence[Res]) -> list[tuple[str, str | None]]:
    """(sseAlgorithm, kmsMasterKeyId) of every default-encryption rule that applies to the bucket."""
    found = []
    for companion in companions(bucket, resources, tokens.S3_SSE):
        for rule in items(companion.props.get("rules")) + items(companion.props.get("rule")):
            default = dig(rule, "applyServerSideEncryptionByDefault", {}) or {}
            found.append((default.get("sseAlgorithm"), default.get("kmsMasterKeyId")))
    return found


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    for bucket in buckets(resources):
        if not any(alg in ALGORITHMS for alg, _ in sse_algorithms(bucket, resources)):
            yield Finding(
                f"bucket {bucket.name!r} has no BucketServerSideEncryptionConfiguration with "
                f"rules[].applyServerSideEncryptionByDefault.sseAlgorithm in {list(ALGORITHMS)}", bucket.urn)
