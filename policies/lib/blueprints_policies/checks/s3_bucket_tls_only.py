"""Every bucket has a bucket policy that denies requests without TLS (aws:SecureTransport = false)."""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .. import tokens
from ..buckets import buckets, companions
from ..model import Finding, Res, StackContext
from ..props import dig, items, json_object


def denies_plaintext(document: Mapping[str, Any]) -> bool:
    for statement in items(document.get("Statement")):
        condition = dig(statement, "Condition.Bool", {}) or {}
        if statement.get("Effect") == "Deny" and str(condition.get("aws:SecureTransport")).lower() == "false":
            return True
    return False


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    for bucket in buckets(resources):
        policies = companions(bucket, resources, tokens.S3_BUCKET_POLICY)
        if not any(denies_plaintext(json_object(p.props.get("policy")) or {}) for p in policies):
            yield Finding(
                f"bucket {bucket.name!r} has no BucketPolicy statement with Effect 'Deny' and "
                "Condition.Bool.aws:SecureTransport 'false'", bucket.urn)
