"""The content-safety guardrail's categories are rule files the pinned LiteLLM release ships: LiteLLM 1.81.16 skips
an unknown category with a warning (litellm_content_filter/content_filter.py `_load_categories`), so a misspelt name
would silently drop a rule. Blocking itself is proven on the real proxy (tests/gateway/test_litellm_proxy.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from blueprints.gateway.guardrails import CONTENT_SAFETY_CATEGORIES
from tests.support.litellm_proxy import LITELLM

pytestmark = pytest.mark.integration

LIST_CATEGORIES = ("import json, os, importlib.util as u; "
                   "spec = u.find_spec('litellm.proxy.guardrails.guardrail_hooks.litellm_content_filter'); "
                   "print(json.dumps(os.listdir(os.path.join(os.path.dirname(spec.origin), 'categories'))))")


def test_every_category_ships_with_the_pinned_litellm() -> None:
    if not LITELLM.exists():
        pytest.skip(f"LiteLLM not installed at {LITELLM}")
    result = subprocess.run([str(LITELLM.with_name("python")), "-c", LIST_CATEGORIES], capture_output=True,
                            text=True, timeout=120, check=True)
    shipped = {Path(name).stem for name in json.loads(result.stdout.strip().splitlines()[-1])}
    assert set(CONTENT_SAFETY_CATEGORIES) <= shipped
