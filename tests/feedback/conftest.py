"""One gateway (the real LiteLLM proxy with a real Redis) for every feedback test, and a moto DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.feedback.gateway import Gateway, gateway
from tests.support.litellm_proxy import LITELLM, REDIS


@pytest.fixture(scope="package")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    if not LITELLM.exists() or REDIS is None:
        pytest.skip("needs the pinned LiteLLM proxy (.venv-litellm) and redis-server")
    with gateway(tmp_path_factory.mktemp("gateway")) as running:
        yield running


