"""Image tags to manifest digests, read from the account's Amazon ECR pull-through cache, for the stack file.

A pull-through cache repository (`<prefix>/<upstream path>`, blueprints.catalog.registries) stores the upstream
manifest unchanged, so the digest ECR reports (BatchGetImage `imageId.imageDigest`) is the upstream's own and pins
the image wherever it is pulled from (Amazon ECR User Guide, pull-through-cache.html). Every region of the stack
must report the same digest: a tag moved between two pulls is an error, not a silent choice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError
from ruamel.yaml.comments import CommentedMap

from blueprints.catalog.registries import pull_through_path
from blueprints.errors import BlueprintError
from blueprints.operations.stack_file import OVERRIDES_KEY, StackFile
from blueprints.versions import IMAGES

MANIFEST_TYPES = [
    # A multi-platform image is an index; ECR returns the manifest a pull would get when these are accepted.
    "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
]


def cache_repository(key: str) -> tuple[str, str]:
    """(ECR repository, tag) under which the pull-through cache holds IMAGES[key]."""
    image = IMAGES[key]
    path = pull_through_path(f"{image.repository}:{image.tag}")
    if path is None:
        raise BlueprintError(f"images pin: {image.repository} comes from a registry no ECR pull-through rule serves "
                             "(set its published digest in blueprints/versions.py)")
    repository, _, tag = path.rpartition(":")
    return repository, tag


def digest_in(ecr: Any, key: str, registry_id: str | None) -> str:
    """The digest of IMAGES[key] in one region's pull-through cache."""
    repository, tag = cache_repository(key)
    try:
        response = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": tag}],
                                       acceptedMediaTypes=MANIFEST_TYPES,
                                       **({"registryId": registry_id} if registry_id else {}))
    except ClientError as error:
        # The cache creates the repository on the first pull through it.
        if error.response.get("Error", {}).get("Code") != "RepositoryNotFoundException":
            raise
        response = {"failures": [{"failureCode": "RepositoryNotFound", "failureReason": "no pull yet"}]}
    found = [image["imageId"]["imageDigest"] for image in response.get("images", [])]
    if not found:
        reason = "; ".join(f"{f.get('failureCode')}: {f.get('failureReason')}" for f in response.get("failures", []))
        raise BlueprintError(f"images pin: {repository}:{tag} is not in the pull-through cache of "
                             f"{ecr.meta.region_name} ({reason or 'no image'}); pull it once through the cache "
                             f"(docker pull <registry>/{repository}:{tag}) and run again")
    return found[0]


def resolve(keys: Iterable[str], regions: list[str], client: Callable[..., Any],
            registry_id: str | None = None) -> dict[str, str]:
    """key -> digest, the same in every region of `regions`."""
    digests = {}
    for key in sorted(keys):
        seen = {region: digest_in(client("ecr", region), key, registry_id) for region in regions}
        if len(set(seen.values())) > 1:
            raise BlueprintError(f"images pin: {IMAGES[key].repository}:{IMAGES[key].tag} has different digests "
                                 f"across regions ({', '.join(f'{r}: {d}' for r, d in seen.items())}): the tag moved "
                                 "upstream between pulls; pull it again in every region and rerun")
        digests[key] = next(iter(seen.values()))
    return digests


def write_digests(stack: StackFile, digests: dict[str, str]) -> None:
    """Set `llm-platform:overrides.images.<key>` for each digest; the rest of the file is kept as it was."""
    overrides = stack.config.setdefault(OVERRIDES_KEY, CommentedMap())
    images = overrides.setdefault("images", CommentedMap())
    for key, digest in digests.items():
        images[key] = digest
