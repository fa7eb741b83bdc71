"""LiteLLM `custom_auth` hook: master-key rotation without a restart. Runs inside the LiteLLM proxy (imports only
LiteLLM and the standard library), next to the rendered config.

LiteLLM 1.81.16 reads LITELLM_MASTER_KEY once at start (proxy_server.py, load_config). With
`general_settings.custom_auth: master_key_auth.user_api_key_auth` and `custom_auth_settings: {mode: auto}`
(litellm_enterprise/proxy/auth/user_api_key_auth.py at v1.81.16: a returned string replaces the presented key, None
falls through to LiteLLM's own key checks), this hook reads the master key from the mounted Secret file on each
request (the kubelet refreshes it after External Secrets syncs a rotation): the current key is accepted as master,
the key the proxy started with is refused once it has been rotated, and every other key (virtual keys in the
database) goes to LiteLLM's own checks. A request carrying the ALB's sign-in assertion, where the gateway trusts one
(`ALB_IDENTITY_SIGNER` set: `gateway.sso`), is authenticated by alb_identity_auth.py beside this file instead."""

from __future__ import annotations

import importlib.util
import os
import secrets
from functools import cache
from pathlib import Path
from typing import Any

KEY_FILE_VARIABLE = "LITELLM_MASTER_KEY_FILE"
"""Environment variable naming the mounted file that holds the current master key."""


@cache
def _alb_identity() -> Any:
    """alb_identity_auth.py beside this file (LiteLLM loads hooks by file path, so no package import)."""
    spec = importlib.util.spec_from_file_location("alb_identity_auth", Path(__file__).with_name("alb_identity_auth.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _presented(api_key: str) -> str:
    return api_key.removeprefix("Bearer ").strip()


async def user_api_key_auth(request: Any, api_key: str) -> Any:
    """The signed-in person of an ALB assertion (a UserAPIKeyAuth of their team); else the proxy's start-up master
    key when the current one is presented; None for any other key."""
    alb = _alb_identity()
    signer = os.environ.get(alb.SIGNER_VARIABLE)
    if signer and alb.ASSERTION_HEADER in request.headers:
        return await alb.user_api_key_auth(request, signer, os.environ[alb.KEYS_URL_VARIABLE])
    from litellm.proxy import proxy_server
    from litellm.proxy._types import ProxyException

    started_with = proxy_server.master_key
    path = os.environ.get(KEY_FILE_VARIABLE)
    if started_with is None or not path:
        return None
    current = Path(path).read_text().strip()
    presented = _presented(api_key)
    if current and secrets.compare_digest(presented, current):
        return started_with
    if secrets.compare_digest(presented, started_with) and current != started_with:
        raise ProxyException(message="master key has been rotated; use the current one", type="auth_error",
                             param="api_key", code=401)
    return None
