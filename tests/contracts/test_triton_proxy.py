"""The real, pinned LiteLLM proxy, run with the gateway config generated for the Triton variant, reaches Triton's
OpenAI frontend on the path that frontend serves, streaming included; the old wiring (the OpenAI client on
Triton's KServe port, no `/v1`) does not.

The backend is the fake OpenAI server on 127.0.0.1 standing in for Triton's OpenAI frontend, which serves
`/v1/chat/completions` with SSE streaming (triton-inference-server/server r26.09
python/openai/openai_frontend/frontend/fastapi/routers/chat.py). Only the scheme and host:port of each `api_base`
are rewritten to the fake: the path is the generated one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import pytest
import yaml

from blueprints.gateway.litellm_config import render_config
from blueprints.gateway.manifests import CONFIG_KEY, config_map
from blueprints.presets import load_spec
from tests.fakes.openai_backend import FakeOpenAIBackend
from tests.gateway.test_litellm_proxy import redis_port
from tests.support.litellm_proxy import LITELLM, MASTER_KEY, START_TIMEOUT_S, start_proxy, stop, wait_for

pytestmark = pytest.mark.integration
__all__ = ["redis_port"]  # the module fixture this test shares with the gateway's proxy test

MODEL = "corp-small"
OLD_WIRING = "corp-small-old-triton"
"""The same backend as the Triton variant addressed it before: http://<service>:8000 (KServe port, no /v1)."""


def _on_fake(url: str, fake: FakeOpenAIBackend) -> str:
    return fake.url + urlsplit(url).path


@pytest.fixture(scope="module")
def proxy(redis_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FakeOpenAIBackend, dict]]:
    if not LITELLM.exists():
        pytest.skip(f"LiteLLM proxy not installed at {LITELLM} (pip install 'litellm[proxy]==1.81.16' there)")
    spec = load_spec("internal-ai", "dev", overrides={"serving": {"engine": "triton"}})
    # The gateway's ConfigMap as the component renders it: config.yaml and the modules it loads.
    files = config_map(spec, spec.regions[0], {})["data"]
    config = yaml.safe_load(files[CONFIG_KEY])
    with FakeOpenAIBackend(name="triton", models=(MODEL,), token_delay_s=0.01) as fake:
        entries = [entry for entry in config["model_list"] if entry["model_name"] == MODEL]
        generated = entries[0]["litellm_params"]["api_base"]
        for entry in entries:
            entry["litellm_params"]["api_base"] = _on_fake(entry["litellm_params"]["api_base"], fake)
        old = json.loads(json.dumps(entries[0]))
        old["model_name"] = OLD_WIRING
        old["litellm_params"]["api_base"] = fake.url  # http://<service>.models.svc.cluster.local:8000 + ""
        config["model_list"].append(old)
        directory = tmp_path_factory.mktemp("litellm-triton")
        for name, text in {**files, CONFIG_KEY: render_config(config)}.items():
            (directory / name).write_text(text)
        process, url = start_proxy(directory, CONFIG_KEY, spec, redis_port)
        try:
            wait_for(f"{url}/health/liveliness", START_TIMEOUT_S, process)
            yield url, fake, {"generated": generated}
        finally:
            stop(process)


def _request(url: str, model: str, **extra: object) -> Request:
    body = {"model": model, "messages": [{"role": "user", "content": "hello"}], "max_tokens": 5, **extra}
    return Request(f"{url}/v1/chat/completions", json.dumps(body).encode(),
                   {"Content-Type": "application/json", "Authorization": f"Bearer {MASTER_KEY}"})


def test_generated_address_is_the_frontend_port_and_path(proxy):
    _, _, facts = proxy
    assert urlsplit(facts["generated"]).port == 9000
    assert urlsplit(facts["generated"]).path == "/v1"


def test_chat_completion_reaches_the_frontend_path(proxy):
    url, fake, _ = proxy
    fake.reset()
    with urlopen(_request(url, MODEL), timeout=30) as response:
        body = json.load(response)
    assert body["choices"][0]["message"]["content"]
    assert [request.path for request in fake.requests] == ["/v1/chat/completions"]


def test_streaming_is_relayed_chunk_by_chunk(proxy):
    url, fake, _ = proxy
    fake.reset()
    pieces = []
    started = time.monotonic()
    with urlopen(_request(url, MODEL, stream=True), timeout=30) as response:
        for line in response:
            if line.startswith(b"data: {"):
                delta = json.loads(line[6:])["choices"][0]["delta"].get("content")
                if delta:
                    pieces.append(delta)
    assert len(pieces) == 5 and time.monotonic() - started < 30
    assert [request.path for request in fake.requests] == ["/v1/chat/completions"]
    assert fake.requests[0].body["stream"] is True


def test_old_wiring_misses_the_path(proxy):
    url, fake, _ = proxy
    fake.reset()
    with pytest.raises(HTTPError) as error:
        urlopen(_request(url, OLD_WIRING), timeout=60)
    assert error.value.code >= 400
    assert fake.request_count == 0
