"""Every AWS provider stamps the ownership and cost tags on everything it creates (defaultTags). A tag may
be namespaced (`blueprints:preset` satisfies `preset`)."""

from collections.abc import Iterator, Sequence

from .. import tokens
from ..model import Finding, Res, StackContext
from ..props import dig, json_object

REQUIRED = ("preset", "environment", "owner", "cost-center")


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    for provider in (r for r in resources if r.type == tokens.AWS_PROVIDER):
        tags = dig(json_object(provider.props.get("defaultTags")) or {}, "tags", {}) or {}
        present = {str(key).rsplit(":", 1)[-1] for key, value in tags.items() if value}
        missing = [t for t in REQUIRED if t not in present]
        if missing:
            yield Finding(f"AWS provider {provider.name!r}: defaultTags.tags lacks {missing}", provider.urn)
