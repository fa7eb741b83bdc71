"""Images are pinned by digest or an explicit version tag, never `latest` or no tag."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s import each_container, is_patch
from ..model import StackContext


def image_problem(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag"
    if last.rsplit(":", 1)[1] == "latest":
        return "uses the 'latest' tag"
    return None


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    for label, container in each_container(type_, props):
        image = str(container.get("image") or "")
        if not image and is_patch(type_):
            continue  # the patch keeps the object's image
        problem = image_problem(image) if image else "has no image"
        if problem:
            yield f"{label}: image {image!r} {problem}; pin a version tag or @sha256 digest"
