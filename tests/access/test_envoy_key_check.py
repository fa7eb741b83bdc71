"""The Envoy data plane's key check (blueprints/gateway/envoy_data_plane.py key_check_policy) against the real
LiteLLM 1.81.16 proxy on its database: the request Envoy Gateway's HTTP extAuth sends (the model request's method,
POST, with the path replaced by `pathOverride`, no body, only the headers in `headersToExtAuth`) gets 200 for a valid
virtual key and a non-2xx answer, which Envoy turns into a denial, for a blocked, unknown or missing key."""

from __future__ import annotations

from urllib.request import Request

import pytest

from blueprints.gateway.envoy_data_plane import key_check_policy
from tests.access.conftest import Gateway
from tests.support.net import status_of


def _ext_auth_check(gateway: Gateway, authorization: str | None) -> int:
    """What Envoy's ext_authz HTTP client sends for a POST /v1/chat/completions under key_check_policy()."""
    auth = key_check_policy()["spec"]["extAuth"]
    path, forwarded = auth["http"]["pathOverride"], auth["headersToExtAuth"]
    headers = {name: authorization for name in forwarded if authorization is not None}
    return status_of(Request(f"{gateway.url}{path}", data=b"", method="POST", headers=headers))


@pytest.mark.integration
def test_litellm_answers_the_key_check_as_envoy_needs(db_gateway: Gateway) -> None:
    status, issued = db_gateway.call("/key/generate", {"models": ["chat-openai"]})
    assert status == 200, issued
    key = issued["key"]
    assert _ext_auth_check(db_gateway, f"Bearer {key}") == 200
    assert _ext_auth_check(db_gateway, "Bearer sk-not-a-key") in (400, 401)
    assert _ext_auth_check(db_gateway, None) in (400, 401)
    status, _ = db_gateway.call("/key/block", {"key": key})
    assert status == 200
    assert _ext_auth_check(db_gateway, f"Bearer {key}") in (400, 401, 403)
