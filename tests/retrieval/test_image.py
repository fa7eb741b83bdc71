"""images/retrieval-service: based on the pinned Python image, requirements pinned as pyproject.toml pins them, and
the service importable from exactly the files the Dockerfile copies (hadolint: tests/images/test_dockerfiles.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from blueprints.versions import PYTHON_IMAGE

ROOT = Path(__file__).resolve().parents[2]
IMAGE = ROOT / "images" / "retrieval-service"


def test_base_and_requirements_are_the_pinned_ones() -> None:
    text = (IMAGE / "Dockerfile").read_text()
    assert re.search(r"^ARG PYTHON_TAG=(.+)$", text, re.M).group(1) == PYTHON_IMAGE.tag
    assert f"FROM {PYTHON_IMAGE.repository}:" in text and "USER 10001:10001" in text
    pins = dict(line.split("==") for line in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "dependencies"])
    wanted = [line for line in (IMAGE / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
    assert all(pins[name] == version for name, version in (line.split("==") for line in wanted)), wanted


def test_the_service_imports_from_the_copied_files_alone(tmp_path: Path) -> None:
    text = (IMAGE / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if line.startswith("COPY blueprints/"):
            *sources, target = line.split()[1:]
            for source in sources:
                destination = tmp_path / target.removeprefix("/app/") / Path(source).name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / source, destination)
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import blueprints.retrieval.api, "
             "blueprints.retrieval.worker; "
             "print([n for n, m in sys.modules.items() if n.startswith('blueprints') and "
             "not (getattr(m, '__file__', None) or sys.argv[1]).startswith(sys.argv[1])])")
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
