"""What A/B segment routing adds to each gateway request: the CPU time of the LiteLLM pre-call hook
(blueprints/experiments/litellm_ab.py) per request, run by the pinned LiteLLM's interpreter (.venv-litellm) on the
experiment document the gateway renders, for callers matched by a rule and callers split by their user's hash.
Bounded: a fixed number of calls, in a subprocess with a time limit."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from bench import Figure
from blueprints.experiments.gateway import CONFIG_FILE, HOOK_FILE, experiment_document
from blueprints.spec import ExperimentSpec
from tests.support.litellm_proxy import LITELLM

TITLE = "A/B segment routing: the gateway hook's CPU time per request (pinned LiteLLM interpreter)"
CALLS = 20_000
TIMEOUT_S = 120
EXPERIMENT = ExperimentSpec(name="prompt-v2", model="corp-small",
                            variants={"control": "2026-10-01", "treatment": "2026-11-01"},
                            split={"control": 70, "treatment": 30},
                            rules=[{"header": "X-Segment=beta", "variant": "treatment"},
                                   {"team": "research", "variant": "control"}])
SCRIPT = """
import asyncio, importlib.util, json, sys, time
from litellm.proxy._types import UserAPIKeyAuth
spec = importlib.util.spec_from_file_location("litellm_ab", sys.argv[1])
hook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hook)
calls = int(sys.argv[2])
caller = UserAPIKeyAuth(api_key="sk-x", key_alias="app", team_alias="support")

async def measure(headers):
    routing = hook.segment_routing
    started = time.process_time()
    for index in range(calls):
        data = {"model": "corp-small", "user": f"user-{index}", "messages": [],
                "proxy_server_request": {"headers": headers}, "metadata": {}}
        await routing.async_pre_call_hook(caller, None, data, "acompletion")
    return (time.process_time() - started) / calls * 1e6

print(json.dumps({"split": asyncio.run(measure({"content-type": "application/json"})),
                  "rule": asyncio.run(measure({"x-segment": "beta"}))}))
"""


def run() -> list[Figure]:
    python = LITELLM.with_name("python")
    with tempfile.TemporaryDirectory() as directory:
        hook = Path(directory) / HOOK_FILE.name
        hook.write_text(HOOK_FILE.read_text())
        (Path(directory) / CONFIG_FILE).write_text(json.dumps({"experiments": [experiment_document(EXPERIMENT)]}))
        out = subprocess.run([str(python), "-c", SCRIPT, str(hook), str(CALLS)], capture_output=True, text=True,
                             timeout=TIMEOUT_S, check=True).stdout
    measured = json.loads(out.splitlines()[-1])
    detail = f"{CALLS} calls each, CPU time of the hook alone (includes building the request dict)"
    return [Figure("split by user hash", measured["split"], "us/request", detail),
            Figure("matched by a header rule", measured["rule"], "us/request", detail)]
