"""Load the serving images' entrypoint (a standalone script, not part of the package) as a module."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

IMAGES_DIR = Path(__file__).resolve().parents[2] / "images"


def load_entrypoint() -> ModuleType:
    spec = importlib.util.spec_from_file_location("serve_model", IMAGES_DIR / "entrypoint" / "serve_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module
