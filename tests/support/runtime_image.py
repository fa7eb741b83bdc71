"""Checks shared by the tests of our Python runtime images (images/<name>/: Dockerfile + requirements.txt)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from blueprints.versions import PYTHON_IMAGE

ROOT = Path(__file__).resolve().parents[2]


def check_base_and_requirements(image: Path) -> None:
    """Based on the pinned Python image, non-root, every requirement pinned as pyproject.toml pins it."""
    text = (image / "Dockerfile").read_text()
    assert re.search(r"^ARG PYTHON_TAG=(.+)$", text, re.M).group(1) == PYTHON_IMAGE.tag
    assert f"FROM {PYTHON_IMAGE.repository}:" in text and "USER 10001:10001" in text
    pins = dict(line.split("==") for line in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "dependencies"])
    wanted = [line for line in (image / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
    assert all(pins[name] == version for name, version in (line.split("==") for line in wanted)), wanted


def foreign_modules(image: Path, modules: list[str], directory: Path) -> list[str]:
    """Copies what the Dockerfile's `COPY blueprints/...` lines copy into `directory`, imports `modules` from
    there alone, and returns the package modules that came from anywhere else (none, for a complete image)."""
    text = (image / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if line.startswith("COPY blueprints/"):
            *sources, target = line.split()[1:]
            for source in sources:
                destination = directory / target.removeprefix("/app/") / Path(source).name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / source, destination)
    probe = (f"import sys; sys.path.insert(0, sys.argv[1]); import {', '.join(modules)}; "
             "print([n for n, m in sys.modules.items() if n.startswith('blueprints') and "
             "not (getattr(m, '__file__', None) or sys.argv[1]).startswith(sys.argv[1])])")
    result = subprocess.run([sys.executable, "-c", probe, str(directory)], capture_output=True, text=True,
                            timeout=120, cwd=directory, check=False)
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip())
