"""Every bucket has a bucket policy that denies requests without TLS (aws:SecureTransport = false)."""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .. import tokens
from ..buckets import buckets, companions
from ..iamdoc import principals
from ..model import Finding, Res, StackContext
from ..props import items, json_object

SECURE_TRANSPORT_OPERATORS = ("Bool", "BoolIfExists")


def _covers_bucket_and_objects(statement: Mapping[str, Any]) -> bool:
    resources = [str(r) for r in items(statement.get("Resource"))]
    return "*" in resources or (any(r.endswith("/*") for r in resources)
                                and any(not r.endswith("*") for r in resources))


def _only_insecure_transport(condition: Mapping[str, Any]) -> bool:
    """The deny's only condition is aws:SecureTransport false: any further key narrows it to fewer requests."""
    if len(condition) != 1:
        return False
    operator, values = next(iter(condition.items()))
    return (operator in SECURE_TRANSPORT_OPERATORS and isinstance(values, Mapping) and len(values) == 1
            and str(values.get("aws:SecureTransport")).lower() == "false")


def denies_plaintext(document: Mapping[str, Any]) -> bool:
    """A statement denies every plaintext request: Effect Deny to Principal `*`, on every S3 action (`s3:*`), on the
    bucket and its objects, conditioned on aws:SecureTransport false and nothing else. A deny scoped to one
    principal, one action, the objects only, or with an extra condition leaves other plaintext requests allowed."""
    for statement in items(document.get("Statement")):
        if (statement.get("Effect") == "Deny" and "*" in principals(statement.get("Principal"))
                and {str(a).lower() for a in items(statement.get("Action"))} & {"*", "s3:*"}
                and _covers_bucket_and_objects(statement)
                and _only_insecure_transport(statement.get("Condition") or {})):
            return True
    return False


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    for bucket in buckets(resources):
        policies = companions(bucket, resources, tokens.S3_BUCKET_POLICY)
        if not any(denies_plaintext(json_object(p.props.get("policy")) or {}) for p in policies):
            yield Finding(
                f"bucket {bucket.name!r} has no BucketPolicy statement with Effect 'Deny' and "
                "Condition.Bool.aws:SecureTransport 'false'", bucket.urn)
