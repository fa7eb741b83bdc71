"""The Envoy data plane's key check and key id in a real Envoy (tests/support/envoy.py) in front of the fake model
backend, asking the real DB-mode LiteLLM (tests/access/conftest.py) about each caller's virtual key, as the rendered
SecurityPolicy and EnvoyExtensionPolicy configure them (blueprints/gateway/envoy_data_plane.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.request import Request

import pytest

from blueprints.gateway.envoy_data_plane import KEY_ID_HEADER
from tests.access.conftest import OPENAI_MODEL, Gateway
from tests.fakes.openai_backend import FakeOpenAIBackend
from tests.support.envoy import Envoy, envoy
from tests.support.net import free_port, status_of


@pytest.fixture(scope="module")
def backend() -> Iterator[FakeOpenAIBackend]:
    with FakeOpenAIBackend() as server:
        yield server


@pytest.fixture(scope="module")
def data_plane(db_gateway: Gateway, backend: FakeOpenAIBackend, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[Envoy]:
    with envoy(tmp_path_factory.mktemp("envoy"), db_gateway.url, backend.url) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def key(db_gateway: Gateway) -> str:
    status, answer = db_gateway.call("/key/generate", {"models": [OPENAI_MODEL["name"]]})
    assert status == 200, answer
    return answer["key"]


def _chat(url: str, authorization: str | None, **headers: str) -> int:
    if authorization is not None:
        headers["Authorization"] = authorization
    body = json.dumps({"model": OPENAI_MODEL["model"], "max_tokens": 3,
                       "messages": [{"role": "user", "content": "hello"}]}).encode()
    return status_of(Request(f"{url}/v1/chat/completions", data=body, method="POST",
                             headers={"Content-Type": "application/json", **headers}), timeout_s=30)


@pytest.mark.integration
def test_a_valid_virtual_key_reaches_the_model_with_its_key_id_and_never_its_own_choice(
        data_plane: Envoy, backend: FakeOpenAIBackend, key: str) -> None:
    backend.reset()
    assert _chat(data_plane.url, f"Bearer {key}", **{KEY_ID_HEADER: "a-bucket-of-my-choice"}) == 200
    [seen] = backend.requests
    # The key id is the first 128 bits of LiteLLM's stored hash of the token (sha256 hex, hash_token).
    assert seen.headers[KEY_ID_HEADER] == hashlib.sha256(key.encode()).hexdigest()[:32]


@pytest.mark.integration
@pytest.mark.parametrize("authorization", [None, "Bearer sk-not-a-key", "sk-no-scheme"])
def test_a_request_without_a_valid_key_is_refused_before_the_model(
        data_plane: Envoy, backend: FakeOpenAIBackend, authorization: str | None) -> None:
    backend.reset()
    assert _chat(data_plane.url, authorization) in (401, 403)
    assert backend.requests == []


@pytest.mark.integration
def test_a_blocked_key_is_refused_at_once(data_plane: Envoy, backend: FakeOpenAIBackend, db_gateway: Gateway) -> None:
    status, answer = db_gateway.call("/key/generate", {"models": [OPENAI_MODEL["name"]]})
    assert status == 200, answer
    blocked = answer["key"]
    assert _chat(data_plane.url, f"Bearer {blocked}") == 200
    assert db_gateway.call("/key/block", {"key": blocked})[0] == 200
    backend.reset()
    assert _chat(data_plane.url, f"Bearer {blocked}") in (401, 403)
    assert backend.requests == []


@pytest.mark.integration
def test_the_check_fails_closed_when_litellm_is_unreachable(backend: FakeOpenAIBackend, key: str,
                                                             tmp_path: Path) -> None:
    with envoy(tmp_path, f"http://127.0.0.1:{free_port()}", backend.url) as unreachable:
        backend.reset()
        assert _chat(unreachable.url, f"Bearer {key}") == 403
        assert backend.requests == []
