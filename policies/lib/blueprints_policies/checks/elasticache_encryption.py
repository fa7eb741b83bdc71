"""ElastiCache replication groups encrypt at rest and in transit; a standalone cache cluster (not a member of a
replication group) cannot encrypt at rest at all, so it is refused."""

from collections.abc import Iterator, Mapping
from typing import Any

from .. import tokens
from ..model import StackContext
from ..props import truthy


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if type_ in tokens.ELASTICACHE_CLUSTER:
        if not props.get("replicationGroupId"):
            yield (f"a standalone {props.get('engine', 'cache')} cluster has no encryption at rest; use an "
                   "elasticache.ReplicationGroup (or ServerlessCache) with encryption on")
        return
    for field in ("atRestEncryptionEnabled", "transitEncryptionEnabled"):
        if not truthy(props.get(field)):
            yield f"{field} must be true"
    if props.get("transitEncryptionMode") == "preferred":
        yield "transitEncryptionMode must be 'required' (got 'preferred', which admits plaintext clients)"
