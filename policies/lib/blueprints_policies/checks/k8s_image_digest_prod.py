"""In prod, every container image is pinned by digest (`repo@sha256:...` or `repo:tag@sha256:...`): a tag can be
re-pushed, a digest cannot."""

from collections.abc import Iterator, Mapping
from typing import Any

from ..k8s import each_container
from ..model import StackContext


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if not ctx.is_prod:
        return
    for label, container in each_container(type_, props):
        image = str(container.get("image") or "")
        if "@sha256:" not in image:
            yield (f"{label}: image {image!r} is not pinned by digest; set its digest in blueprints/versions.py "
                   "(third-party images) or deploy the digest your registry returned for the immutable tag "
                   "(images you build)")
