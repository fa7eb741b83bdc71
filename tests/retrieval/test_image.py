"""images/retrieval-service: based on the pinned Python image, requirements pinned as pyproject.toml pins them, and
the service importable from exactly the files the Dockerfile copies (hadolint: tests/images/test_dockerfiles.py)."""

from __future__ import annotations

from pathlib import Path

from tests.support.runtime_image import ROOT, check_base_and_requirements, foreign_modules

IMAGE = ROOT / "images" / "retrieval-service"


def test_base_and_requirements_are_the_pinned_ones() -> None:
    check_base_and_requirements(IMAGE)


def test_the_service_imports_from_the_copied_files_alone(tmp_path: Path) -> None:
    assert foreign_modules(IMAGE, ["blueprints.retrieval.api", "blueprints.retrieval.worker",
                                      "blueprints.retrieval.qdrantstore"], tmp_path) == []
