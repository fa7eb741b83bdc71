"""Run the real promtool on generated rule files (Debian package `prometheus`; CI installs it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from blueprints.observability.series import exported_series

EXPORTED = exported_series()


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool not found: install the Debian package `prometheus` (apt-get install prometheus)"
    return path


def write_rule_files(files: dict[str, dict[str, Any]], directory: Path, strip_annotations: bool = False) -> list[Path]:
    """Write rule files; `strip_annotations` for `promtool test rules`, which compares rendered annotations
    exactly (the annotations themselves are checked by `promtool check rules`)."""
    paths = []
    for name, content in files.items():
        if strip_annotations:
            content = {"groups": [
                {**group, "rules": [{k: v for k, v in rule.items() if k != "annotations"} for rule in group["rules"]]}
                for group in content["groups"]
            ]}
        path = directory / name
        path.write_text(yaml.safe_dump(content, sort_keys=False))
        paths.append(path)
    return paths


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False)


def input_series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    """A promtool input series, named and labelled as its exporter names it (blueprints.catalog.metrics, from
    upstream source) and as Prometheus stores it after the scrape: anything else would test a series that never
    exists."""
    assert name in EXPORTED, f"{name}: no exporter of the platform emits this series"
    unknown = [label for label in labels if not EXPORTED[name].has(label)]
    assert not unknown, f"{name}: the stored series has no label {unknown}"
    selector = ",".join(f'{key}="{value}"' for key, value in labels.items())
    return {"series": f"{name}{{{selector}}}", "values": values}
