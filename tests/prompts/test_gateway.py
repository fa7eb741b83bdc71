"""What the gateway merges for pinned prompts, and the LiteLLM callback itself run by the pinned LiteLLM
(in its own virtualenv, .venv-litellm, where it is installed)."""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

import pytest

from blueprints.presets import load_spec
from blueprints.prompts.gateway import CALLBACK, HOOK_FILE, MODEL_INFO_KEY, litellm_prompt_settings, prompt_model_info

LITELLM_PYTHON = Path(__file__).resolve().parents[2] / ".venv-litellm" / "bin" / "python"
NEW = "2026-11-01"


def test_settings_name_the_callback_ship_the_hook_and_carry_each_versions_prompt() -> None:
    spec = load_spec("internal-ai", "prod")
    settings = litellm_prompt_settings(spec)
    assert settings["callbacks"] == [CALLBACK] == ["litellm_prompts.pinned_prompts"]
    assert settings["files"] == {"litellm_prompts.py": HOOK_FILE.read_text()}
    assert set(settings["model_info"]) == {"corp-small"}
    assert set(settings["model_info"]["corp-small"]) == {"2026-10-01", NEW}
    assert settings["model_info"]["corp-small"][NEW] == prompt_model_info(spec, "corp-small", NEW)
    assert prompt_model_info(spec, "corp-large", "2026-11-01") == {}


def test_the_hook_reads_the_same_model_info_key() -> None:
    tree = ast.parse(HOOK_FILE.read_text())
    constants = {node.targets[0].id: node.value.value for node in tree.body
                 if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)}
    assert constants["MODEL_INFO_KEY"] == MODEL_INFO_KEY


SCRIPT = """
import asyncio, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("litellm_prompts", sys.argv[1])
hook = importlib.util.module_from_spec(spec); spec.loader.exec_module(hook)
info = json.loads(sys.argv[2])
client = [{"role": "user", "content": "Where do I book a flight?"}]
with_info = {"model": "corp-small", "messages": client, "metadata": {"model_info": info}}
without = {"model": "corp-large", "messages": client, "metadata": {"model_info": {"id": "x"}}}
result = asyncio.run(hook.pinned_prompts.async_pre_call_deployment_hook(with_info, "acompletion"))
untouched = asyncio.run(hook.pinned_prompts.async_pre_call_deployment_hook(without, "acompletion"))
print(json.dumps({"messages": result["messages"], "version": result["metadata"].get("prompt_version"),
                  "untouched": untouched}))
"""


@pytest.mark.integration
@pytest.mark.skipif(not LITELLM_PYTHON.exists(), reason="LiteLLM's virtualenv (.venv-litellm) is not installed")
def test_the_litellm_callback_prepends_the_pinned_prompt() -> None:
    spec = load_spec("internal-ai", "prod")
    info = prompt_model_info(spec, "corp-small", NEW)
    done = subprocess.run([str(LITELLM_PYTHON), "-c", SCRIPT, str(HOOK_FILE), json.dumps(info)],
                          capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    pinned = info[MODEL_INFO_KEY]["messages"]
    assert result["messages"] == [*pinned, {"role": "user", "content": "Where do I book a flight?"}]
    assert result["messages"][0]["role"] == "system" and len(pinned) == 3
    assert result["version"] == "v2"
    assert result["untouched"] is None
