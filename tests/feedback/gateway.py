"""The gateway's own ConfigMap (internal-ai prod, with test_ab_proxy's A/B experiment on corp-small, and every
answer sampled for drift and the judge) on the real, pinned LiteLLM proxy with a real Redis, every model server
rewritten to one fake backend whose answer depends on the question (shared by the feedback tests). The fake judge
is deterministic: 1 for a refusal, else 4.

Without LiteLLM's database there are no virtual keys, so the proxy gets a `custom_auth` function (a LiteLLM config
feature) that accepts the master key and USER_KEY, and refuses every other key as LiteLLM's key check would."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import yaml

from blueprints.evaluation.judge import INSTRUCTIONS as JUDGE_INSTRUCTIONS
from blueprints.gateway.manifests import CONFIG_KEY
from blueprints.presets import load_spec
from tests.experiments.test_ab_proxy import EXPERIMENT, experiment_overrides
from tests.fakes.openai_backend import FakeOpenAIBackend
from tests.support.litellm_proxy import (
    MASTER_KEY,
    START_TIMEOUT_S,
    redis_server,
    start_proxy,
    stop,
    wait_for,
    write_gateway_files,
)

USER_KEY = "sk-feedback-user"
TIMEOUT_S = 30
WAIT_S = 30.0
"""LiteLLM runs success callbacks after answering: bounded wait for them (generous: the test machine is shared)."""
REFUSAL = "I'm sorry, but I can't help with that."
VALID_JSON = '{"city": "Paris"}'
BROKEN_JSON = '{"city": '
SAMPLED = {"feedback": {"judge_sample_percent": 100, "drift_sample_percent": 100}}
"""Every answer is queued for the quality worker (internal-ai's judge model: corp-large)."""
CUSTOM_AUTH = f'''
from litellm.proxy._types import UserAPIKeyAuth


async def user_api_key_auth(request, api_key):
    token = api_key.removeprefix("Bearer ").strip()
    if token not in ("{MASTER_KEY}", "{USER_KEY}"):
        raise Exception("unknown key")
    return UserAPIKeyAuth(api_key=token)
'''


def judge_score(grading: str) -> int:
    """The fake judge's score of the answer in its prompt: 1 for a refusal, else 4."""
    return 1 if f"Answer to grade: {REFUSAL}" in grading else 4


def answer(body: dict[str, Any]) -> str:
    """The fake model's reply: a refusal, valid or broken JSON, or plain text, as the question asks; a judge
    score when the judge's instructions are the system message."""
    question = str(body["messages"][-1]["content"])
    if body["messages"][0]["content"] == JUDGE_INSTRUCTIONS:
        return json.dumps({"score": judge_score(question), "reason": "fake judge"})
    return {"refuse": REFUSAL, "json": VALID_JSON, "broken": BROKEN_JSON}.get(question, "Paris is the capital. ")


@dataclass
class Gateway:
    url: str
    redis_port: int
    model: str
    version: str
    """The model's only (stable) version."""


@contextmanager
def gateway(directory: Path) -> Iterator[Gateway]:
    spec = load_spec("internal-ai", "prod", {**experiment_overrides(EXPERIMENT, candidate_weight=30), **SAMPLED})
    data = write_gateway_files(directory, spec, "us-east-1")
    config = yaml.safe_load(data[CONFIG_KEY])
    with FakeOpenAIBackend(name="fake", answer=answer) as backend, redis_server() as redis_port:
        for entry in config["model_list"]:
            if "api_base" in entry["litellm_params"]:
                entry["litellm_params"]["api_base"] = backend.base_url
        config["general_settings"]["custom_auth"] = "test_auth.user_api_key_auth"
        (directory / CONFIG_KEY).write_text(yaml.safe_dump(config, sort_keys=False))
        (directory / "test_auth.py").write_text(CUSTOM_AUTH)
        process, url = start_proxy(directory, CONFIG_KEY, spec, redis_port)
        try:
            wait_for(f"{url}/health/liveliness", START_TIMEOUT_S, process)
            model = next(m for m in spec.serving.models if m.versions is not None and m.versions.candidate is None)
            yield Gateway(url, redis_port, model.name, model.versions.stable)
        finally:
            stop(process)


def ask(gateway: Gateway, question: str, *, stream: bool = False, json_format: bool = False,
        key: str = USER_KEY, model: str | None = None, headers: dict[str, str] | None = None) -> str:
    """The answer id of one chat request through the gateway (by default for `gateway.model`)."""
    body = {"model": model or gateway.model, "messages": [{"role": "user", "content": question}], "max_tokens": 16,
            "stream": stream, **({"response_format": {"type": "json_object"}} if json_format else {})}
    request = Request(f"{gateway.url}/v1/chat/completions", data=json.dumps(body).encode(), method="POST",
                      headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                               **(headers or {})})
    with urlopen(request, timeout=TIMEOUT_S) as response:
        if not stream:
            return str(json.load(response)["id"])
        events = [line.removeprefix(b"data: ") for line in response.read().splitlines() if line.startswith(b"data: ")]
        return str(json.loads(events[0])["id"])


def metrics(gateway: Gateway) -> str:
    request = Request(f"{gateway.url}/metrics", headers={"Authorization": f"Bearer {MASTER_KEY}"})
    with urlopen(request, timeout=TIMEOUT_S) as response:
        return response.read().decode()


def eventually(probe: Callable[[], Any]) -> Any:
    """`probe()` once it is not None (bounded wait)."""
    deadline = time.monotonic() + WAIT_S
    while (found := probe()) is None:
        assert time.monotonic() < deadline, "not recorded in time"
        time.sleep(0.05)
    return found
