"""images/feedback-api: pinned base and requirements, and both processes (the API and the quality worker, with the
drift centroids) importable from exactly the files the Dockerfile copies (hadolint: tests/images/)."""

from __future__ import annotations

from pathlib import Path

from tests.support.runtime_image import ROOT, check_base_and_requirements, foreign_modules

IMAGE = ROOT / "images" / "feedback-api"


def test_base_and_requirements_are_the_pinned_ones() -> None:
    check_base_and_requirements(IMAGE)


def test_both_processes_import_from_the_copied_files_alone(tmp_path: Path) -> None:
    assert foreign_modules(IMAGE, ["blueprints.feedback.api", "blueprints.feedback.quality"], tmp_path) == []
    assert (tmp_path / "blueprints" / "feedback" / "prompt_centroids.json").is_file()
