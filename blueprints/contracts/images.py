"""Image-tag contract over the planned graph: no container (Kubernetes workload or ECS task) runs a pre-release tag,
and in prod every container image is pinned by digest (a tag can be re-pushed; a digest names one manifest:
Kubernetes documentation, Images, "Image names": `image@sha256:...` makes the pull immutable). An image of an ECR
repository of the graph whose tags are IMMUTABLE counts as pinned: its tag cannot be pushed again (Amazon ECR User
Guide, image-tag-mutability.html)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from blueprints.catalog.registries import pull_through_path
from blueprints.engine.graph import ResourceGraph
from blueprints.spec import PINNABLE_IMAGES
from blueprints.versions import IMAGES

REPOSITORY_TYPE = "aws:ecr/repository:Repository"
TASK_DEFINITION_TYPE = "aws:ecs/taskDefinition:TaskDefinition"
PIN_COMMAND = "python -m blueprints images pin --stack <stack>"

PRERELEASE = re.compile(r"(?i)(?<![a-z])(rc|alpha|beta|dev|pre|preview|snapshot|nightly)[.-]?\d*(?![a-z])")
"""SemVer / PEP 440 / Docker pre-release markers: 1.3.0rc24, 2.0.0-beta.1, 0.9.dev3, v1-alpha."""


def tag_of(image: str) -> str:
    """`registry:5000/repo:1.2@sha256:...` -> `1.2` (empty when the reference names no tag)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def images(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, image) for every container image of a Kubernetes object (`image` strings at any depth: pods, pod
    templates, Jobs, LeaderWorkerSets, init containers)."""
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else key
            if key == "image" and isinstance(item, str):
                yield here, item
            else:
                yield from images(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from images(item, f"{path}[{index}]")


def workload_images(graph: ResourceGraph) -> Iterator[tuple[str, str]]:
    """(where, image) for every container the graph runs: Kubernetes objects (Helm releases excepted: their
    images are the charts' own) and ECS task definitions (`containerDefinitions`, a JSON document)."""
    for record in graph.resources:
        if record.type.startswith("kubernetes:") and record.type != "kubernetes:helm.sh/v3:Release":
            found = images(record.inputs)
        elif record.type == TASK_DEFINITION_TYPE and isinstance(record.inputs.get("containerDefinitions"), str):
            found = images(json.loads(record.inputs["containerDefinitions"]), "containerDefinitions")
        else:
            continue
        for path, image in found:
            yield f"{record.name} ({record.type}) {path}", image


def immutable_repositories(graph: ResourceGraph) -> set[str]:
    """`<account>.dkr.ecr.<region>.amazonaws.com/<name>` of every ECR repository of the graph with immutable tags."""
    urls = set()
    for record in graph.of_type(REPOSITORY_TYPE):
        arn = str(record.outputs.get("arn") or "")  # arn:aws:ecr:<region>:<account>:repository/<name>
        if record.inputs.get("imageTagMutability") == "IMMUTABLE" and arn.count(":") == 5:
            _, _, _, region, account, resource = arn.split(":")
            urls.add(f"{account}.dkr.ecr.{region}.amazonaws.com/{resource.removeprefix('repository/')}")
    return urls


def pinnable_key(image: str) -> str | None:
    """The PINNABLE_IMAGES key `image` runs (`ghcr.io/berriai/litellm:v1` or its pull-through path in a private
    registry, `<registry>/github/berriai/litellm:v1`), or None."""
    name = image.split("@", 1)[0]
    for key in PINNABLE_IMAGES:
        published = f"{IMAGES[key].repository}:{IMAGES[key].tag}"
        if name == published or name.endswith(f"/{pull_through_path(published)}"):
            return key
    return None


def unpinned(graph: ResourceGraph) -> set[str]:
    """PINNABLE_IMAGES keys of images the graph runs without a digest (what `images pin` resolves)."""
    return {key for _, image in workload_images(graph) if "@sha256:" not in image
            if (key := pinnable_key(image)) is not None}


def image_problems(graph: ResourceGraph, prod: bool) -> list[str]:
    """One line per pre-release image tag, and in prod per image neither pinned by digest nor held by an
    immutable-tag repository of the graph."""
    problems = []
    immutable = immutable_repositories(graph)
    for where, image in workload_images(graph):
        tag = tag_of(image)
        if PRERELEASE.search(tag):
            problems.append(f"{where}: pre-release tag {tag!r} in {image}; fix: pin a released version in "
                            "blueprints/versions.py")
        if prod and "@sha256:" not in image and image.split("@", 1)[0].rpartition(":")[0] not in immutable:
            key = pinnable_key(image)
            fix = (f"run `{PIN_COMMAND}`: it reads the digest of {IMAGES[key].repository}:{IMAGES[key].tag} "
                   f"from your ECR pull-through cache into the stack's overrides (images.{key})" if key else
                   "set its published digest in blueprints/versions.py")
            problems.append(f"{where}: {image} is not pinned by digest; fix: {fix}")
    return problems
