"""The EKS-version and image-tag contracts on real preset graphs, moved to the edges of what they accept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from blueprints.contracts.images import image_problems, immutable_repositories, tag_of
from blueprints.contracts.versions import CLUSTER_TYPE, version_problems
from blueprints.engine.graph import ResourceGraph
from blueprints.versions import EKS_VERSIONS, KUBERNETES_VERSION

END = EKS_VERSIONS[KUBERNETES_VERSION].standard_support_ends


def _with_version(graph: ResourceGraph, version: str) -> ResourceGraph:
    copy = graph.model_copy(deep=True)
    for cluster in copy.resources:
        if cluster.type == CLUSTER_TYPE:
            cluster.inputs["version"] = version
    return copy


@pytest.mark.parametrize(("as_of", "prod", "fails"), [
    (END - timedelta(days=61), True, False),
    (END - timedelta(days=40), True, True),   # prod: under 60 days of standard support left
    (END - timedelta(days=40), False, False),  # elsewhere the policy only advises
    (END, False, True),                       # extended support from the end date, in every environment
])
def test_eks_support_window(graph_of: Callable[[str, str], ResourceGraph], as_of: date, prod: bool,
                            fails: bool) -> None:
    problems = version_problems(graph_of("saas", "dev"), prod, as_of)
    assert bool(problems) is fails
    assert all(str(END) in problem and "; fix: " in problem for problem in problems)


def test_a_version_outside_the_calendar_fails(graph_of) -> None:
    [problem] = version_problems(_with_version(graph_of("saas", "dev"), "1.99"), False, END)
    assert "'1.99' is not in the EKS release calendar" in problem


@pytest.mark.parametrize(("image", "tag"), [
    ("ghcr.io/berriai/litellm:v1.81.16-stable", "v1.81.16-stable"),
    ("localhost:5000/team/app:1.3.0rc24-2@sha256:" + "0" * 64, "1.3.0rc24-2"),
    ("localhost:5000/team/app@sha256:" + "0" * 64, ""),
    ("busybox", ""),
])
def test_tag_of_reads_the_tag_not_the_registry_port(image: str, tag: str) -> None:
    assert tag_of(image) == tag


def test_own_images_count_as_pinned_only_in_immutable_repositories(graph_of) -> None:
    """internal-ai builds trtllm-serve into its own ECR repository (IMMUTABLE tags): pinned without a digest; the
    same repository with MUTABLE tags is not."""
    graph = graph_of("internal-ai", "prod")
    assert "123456789012.dkr.ecr.us-east-1.amazonaws.com/corp-prod/trtllm-serve" in immutable_repositories(graph)
    assert not [p for p in image_problems(graph, prod=True) if "trtllm-serve" in p and "digest" in p]
    mutable = graph.model_copy(deep=True)
    for record in mutable.of_type("aws:ecr/repository:Repository"):
        record.inputs["imageTagMutability"] = "MUTABLE"
    assert [p for p in image_problems(mutable, prod=True) if "corp-prod/trtllm-serve" in p and "digest" in p]
