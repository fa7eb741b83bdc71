"""One gateway (the real LiteLLM proxy with a real Redis) for every feedback test, and a moto DynamoDB."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from tests.feedback.gateway import Gateway, gateway
from tests.support.litellm_proxy import LITELLM, REDIS
from tests.support.net import free_port


@pytest.fixture(scope="package")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    if not LITELLM.exists() or REDIS is None:
        pytest.skip("needs the pinned LiteLLM proxy (.venv-litellm) and redis-server")
    with gateway(tmp_path_factory.mktemp("gateway")) as running:
        yield running


@pytest.fixture(scope="package")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
