"""What online quality sampling costs (issue 20 s3: judge scores and prompt drift, off the request's path).

Gateway side: the quality callback (blueprints/feedback/litellm_quality.py, in the pinned LiteLLM's interpreter)
drawing an answer for drift and the judge: the synchronous part that runs in the post-call hook before the answer
is returned (draws, prompt extraction, JSON, scheduling the push), and the Redis push that then runs as its own
task (a real redis-server). Worker side: embedding one prompt with wordllama and assigning its drift cluster, as
the quality worker does per sample (the starter golden sets' prompts, one at a time).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench import Figure
from blueprints.feedback.centroids import reference_prompts
from blueprints.feedback.drift import Clusters
from blueprints.feedback.gateway import CONFIG_FILE, HOOK_FILE, litellm_quality_settings
from blueprints.presets import load_spec
from tests.support.litellm_proxy import LITELLM, redis_server

TITLE = "online quality sampling: gateway hook and push per sampled answer, worker embed + cluster per prompt"
SAMPLES = 2000
TIMEOUT_S = 120
PROBE = """
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[1])
import litellm_quality as q
samples = int(sys.argv[2])
data = {"model": "corp-small", "metadata": {"model_group": "corp-small", "model_info": {"version": "v1"}},
        "messages": [{"role": "system", "content": "You are helpful."},
                     {"role": "user", "content": "What is the capital city of Australia? Answer in one sentence."}]}
async def main():
    signals = q.quality_signals
    signals.connection().ping()
    hook = 0.0
    started = time.perf_counter()
    for _ in range(samples):
        begin = time.perf_counter()
        signals.sample(data, "Canberra is the capital of Australia.", "corp-small", "v1")
        hook += time.perf_counter() - begin
        await asyncio.sleep(0)
    while signals.pushes:
        await asyncio.gather(*list(signals.pushes))
    total = time.perf_counter() - started
    print(json.dumps({"hook_s": hook / samples, "total_s": total / samples,
                      "queued": signals.connection().llen(signals.samples["key"])}))
asyncio.run(main())
"""


def _gateway_side() -> dict[str, float]:
    spec = load_spec("internal-ai", "prod", {"feedback": {"judge_sample_percent": 100, "drift_sample_percent": 100}})
    with tempfile.TemporaryDirectory() as directory, redis_server() as port:
        for name, text in litellm_quality_settings(spec)["files"].items():
            Path(directory, name).write_text(text)
        assert Path(directory, HOOK_FILE.name).is_file() and Path(directory, CONFIG_FILE).is_file()
        python = shutil.which("python", path=str(LITELLM.parent))
        result = subprocess.run([python, "-c", PROBE, directory, str(SAMPLES)], capture_output=True, text=True,
                                timeout=TIMEOUT_S, check=True,
                                env={**os.environ, "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(port)})
    return json.loads(result.stdout.strip().splitlines()[-1])


def _worker_side() -> float:
    clusters, prompts = Clusters.shipped(), reference_prompts()
    clusters.assign(prompts[:1])  # load the model once, as the worker does at its first sample
    started = time.perf_counter()
    for prompt in prompts:
        clusters.assign([prompt])
    return (time.perf_counter() - started) / len(prompts)


def run() -> list[Figure]:
    gateway = _gateway_side()
    per_prompt = _worker_side()
    return [
        Figure("quality callback: in the post-call hook per sampled answer", gateway["hook_s"] * 1e6, "us",
               f"{SAMPLES} answers drawn for drift and judge (queue capped at {int(gateway['queued'])})"),
        Figure("quality callback: hook + Redis push per sampled answer (own task)", gateway["total_s"] * 1e6, "us",
               "real redis-server on 127.0.0.1"),
        Figure("quality worker: embed + nearest drift cluster per prompt", per_prompt * 1e3, "ms",
               "wordllama l2_supercat, 8 centroids, the starter golden sets' 150 prompts one at a time"),
    ]
