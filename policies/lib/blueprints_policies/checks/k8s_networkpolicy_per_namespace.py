"""Every namespace that runs our workloads has at least one NetworkPolicy."""

from collections.abc import Iterator, Sequence

from .. import tokens
from ..k8s import name, namespace
from ..model import Finding, Res, StackContext


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    covered = {namespace(r.props) for r in resources if r.type in tokens.K8S_NETWORK_POLICY}
    first: dict[str, Res] = {}
    for r in resources:
        if r.type in tokens.K8S_POD_BEARING:
            first.setdefault(namespace(r.props), r)
        elif r.type in tokens.K8S_NAMESPACE:
            first.setdefault(name(r.props, r.name), r)
    for ns, example in sorted(first.items()):
        if ns not in covered:
            yield Finding(f"namespace {ns!r} has no NetworkPolicy", example.urn)
