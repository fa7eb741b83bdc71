"""Public container registries and how a VPC without internet access pulls from them.

Amazon ECR pull-through cache supports these upstreams (Amazon ECR User Guide, pull-through-cache.html, and the
CreatePullThroughCacheRule API's `upstreamRegistryUrl`): Amazon ECR Public, the Kubernetes registry and Quay without
authentication; Docker Hub, GitHub Container Registry, GitLab Container Registry, Azure Container Registry and
Chainguard with a Secrets Manager secret named `ecr-pullthroughcache/...`. NVIDIA's NGC registry (nvcr.io) is not
among them: images from it are built or mirrored into the platform's own ECR repositories instead.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PullThroughUpstream:
    url: str
    """`upstreamRegistryUrl` of the rule."""
    prefix: str
    """ECR repository prefix: `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<upstream path>`."""
    credential: bool
    """Whether ECR needs a Secrets Manager credential for this upstream."""


PULL_THROUGH: dict[str, PullThroughUpstream] = {
    # image registry host -> pull-through rule
    "public.ecr.aws": PullThroughUpstream("public.ecr.aws", "ecr-public", credential=False),
    "registry.k8s.io": PullThroughUpstream("registry.k8s.io", "k8s", credential=False),
    "quay.io": PullThroughUpstream("quay.io", "quay", credential=False),
    "docker.io": PullThroughUpstream("registry-1.docker.io", "docker-hub", credential=True),
    "ghcr.io": PullThroughUpstream("ghcr.io", "github", credential=True),
    "registry.gitlab.com": PullThroughUpstream("registry.gitlab.com", "gitlab", credential=True),
}
MIRRORED_REGISTRIES = frozenset({"nvcr.io"})
"""Registries no pull-through rule can serve: the platform keeps their images in its own ECR repositories."""
DOCKER_HUB = "docker.io"


def split_image(ref: str) -> tuple[str, str]:
    """`ghcr.io/berriai/litellm:v1` -> (`ghcr.io`, `berriai/litellm:v1`); Docker Hub's short forms get their
    registry and, for official images, the `library/` namespace (`postgres:16` -> `library/postgres:16`)."""
    first, _, rest = ref.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        host, path = first, rest
    else:
        host, path = DOCKER_HUB, ref
    if host in (DOCKER_HUB, "registry-1.docker.io", "index.docker.io"):
        host = DOCKER_HUB
        path = path if "/" in path else f"library/{path}"
    return host, path


def pull_through_path(ref: str) -> str | None:
    """The repository path (after the ECR registry host) a pull-through rule serves `ref` under, or None when no
    rule can (the image must be mirrored)."""
    host, path = split_image(ref)
    upstream = PULL_THROUGH.get(host)
    return f"{upstream.prefix}/{path}" if upstream else None
