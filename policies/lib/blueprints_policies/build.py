"""Self-contained policy packs, the folders `pulumi policy publish` uploads.

`pulumi policy publish` packs the pack directory alone, so policies/<pack>/ (which imports ../lib and the
repository's preset data) cannot be published as it is. This writes OUT/<pack>/ for each pack with everything it
imports beside its `__main__.py`:

    make packs                                                    # every pack into dist/policy-packs/
    PYTHONPATH=policies/lib python -m blueprints_policies.build --out DIR [--pack regulated ...]

- `__main__.py`, `PulumiPolicy.yaml`, `requirements.txt` (PyPI pins only) from policies/<pack>/; the manifest's
  runtime gets `virtualenv: venv`, so the CLI installs the requirements into the pack's own virtualenv;
- `blueprints_policies/`: a copy of the policy library;
- `blueprints/`: the modules (and their data files) the library imports lazily to derive stack context from the
  preset and to judge EKS versions (`blueprints.presets`, `blueprints.contracts.versions`), found by importing
  them in a fresh interpreter, nothing else of the project;
- `suppressions.yaml` (policies/suppressions.yaml) and `PACK`, the pack's name.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from .packs import PACKS

LIBRARY = Path(__file__).resolve().parent
POLICIES = LIBRARY.parents[1]
ROOT = POLICIES.parent
PROJECT_MODULES = ("blueprints.presets", "blueprints.contracts.versions")
"""What the library imports from the project (context.from_preset, packs.claimed_frameworks, eks-standard-support)."""
PACK_FILES = ("__main__.py", "requirements.txt")
DATA_SUFFIXES = (".yaml", ".yml", ".json", ".csv")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


def project_files() -> list[Path]:
    """The project's module files PROJECT_MODULES pull in, plus the data files (YAML, CSV, JSON) beside them,
    found by importing them in a fresh interpreter at the repository root and loading every preset in every
    environment (load_spec imports the capacity planner lazily)."""
    code = ("import importlib, json, sys\n"
            f"for name in {PROJECT_MODULES!r}: importlib.import_module(name)\n"
            "from blueprints.presets import ENVIRONMENTS, load_spec, preset_names\n"
            "for preset in preset_names():\n"
            "    for environment in ENVIRONMENTS: load_spec(preset, environment)\n"
            "print(json.dumps(sorted(m.__file__ for n, m in sys.modules.items()\n"
            "                        if n.split('.')[0] == 'blueprints' and getattr(m, '__file__', None))))")
    listed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    modules = [Path(path) for path in json.loads(listed.stdout)]
    data = [path for folder in {module.parent for module in modules} for path in folder.rglob("*")
            if path.suffix in DATA_SUFFIXES and _same_package(folder, path)]
    return sorted(set(modules) | set(data))


def _same_package(folder: Path, path: Path) -> bool:
    """`path` belongs to the package in `folder`, not to a subpackage of it (which has its own __init__.py)."""
    return not any((parent / "__init__.py").exists() for parent in path.parents if parent.is_relative_to(folder)
                   and parent != folder)


def manifest(pack: str) -> dict:
    loaded = yaml.safe_load((POLICIES / pack / "PulumiPolicy.yaml").read_text())
    return {**loaded, "runtime": {"name": "python", "options": {"virtualenv": "venv"}}}


def build(pack: str, out: Path, files: Sequence[Path] | None = None) -> Path:
    """Writes OUT/<pack>/ (replacing it) and returns it."""
    if pack not in PACKS:
        raise ValueError(f"--pack: unknown pack {pack!r} (allowed: {', '.join(sorted(PACKS))})")
    target = out / pack
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in PACK_FILES:
        shutil.copy2(POLICIES / pack / name, target / name)
    (target / "PulumiPolicy.yaml").write_text(yaml.safe_dump(manifest(pack), sort_keys=False))
    (target / "PACK").write_text(f"{pack}\n")
    shutil.copytree(LIBRARY, target / LIBRARY.name, ignore=IGNORED)
    for path in files if files is not None else project_files():
        destination = target / path.relative_to(ROOT)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
    suppressions = POLICIES / "suppressions.yaml"
    if suppressions.exists():
        shutil.copy2(suppressions, target / "suppressions.yaml")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write <pack>/ folders into")
    parser.add_argument("--pack", action="append", choices=sorted(PACKS), help="pack to build (default: all)")
    args = parser.parse_args(argv)
    files = project_files()
    for pack in args.pack or sorted(PACKS):
        print(build(pack, args.out, files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
