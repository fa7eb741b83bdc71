"""litellm_hooks.py inside the real, pinned LiteLLM (its own virtualenv): what the hooks change in LiteLLM's state."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from blueprints.gateway.litellm_config import HOOKS_MODULE
from blueprints.gateway.manifests import HOOKS_SOURCE
from tests.support.litellm_proxy import LITELLM

# A response cache as the proxy sets it up (litellm.cache = Cache(...), which registers its "cache" marker in the
# success callbacks, litellm/caching/caching.py Cache.__init__), then the hook, then the same request twice.
CACHE_AND_HOOK = r"""
import asyncio, json, os, sys
sys.path.insert(0, os.getcwd())
import litellm
from litellm.caching.caching import Cache
litellm.cache = Cache(type="local")
import litellm_hooks

async def main():
    data = await litellm_hooks.inert_callbacks.async_pre_call_hook(None, None, {"model": "m"}, "acompletion")
    body = dict(model="openai/fake", messages=[{"role": "user", "content": "hi"}], mock_response="answer",
                caching=True)
    await litellm.acompletion(**body)
    for _ in range(200):  # the answer is cached by a background task
        if litellm.cache.cache.cache_dict:
            break
        await asyncio.sleep(0.01)
    again = await litellm.acompletion(**body)
    print(json.dumps({"sync": [c for c in litellm.success_callback if isinstance(c, str)],
                      "async": [c for c in litellm._async_success_callback if isinstance(c, str)],
                      "data": data, "hit": (again._hidden_params or {}).get("cache_hit")}))

asyncio.run(main())
"""


def test_the_cache_marker_leaves_the_thread_pool_callbacks_and_the_cache_still_answers(tmp_path: Path) -> None:
    """LiteLLM runs the synchronous success handler on a thread pool for every request while any non-logger entry
    is in `litellm.success_callback` (litellm_logging.py, Logging._should_run_sync_callbacks_for_async_calls);
    the cache's marker is the only one and nothing handles it there."""
    if not LITELLM.exists():
        pytest.skip(f"LiteLLM not installed at {LITELLM}")
    shutil.copy(HOOKS_SOURCE, tmp_path / f"{HOOKS_MODULE}.py")
    done = subprocess.run([str(LITELLM.with_name("python")), "-W", "ignore", "-c", CACHE_AND_HOOK], cwd=tmp_path,
                          env={"BLUEPRINTS_MAX_TOKENS": "64", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                               "LITELLM_LOG": "ERROR"},
                          capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["sync"] == []
    assert result["async"] == ["cache"]
    assert result["data"] == {"model": "m"}
    assert result["hit"] is True
