"""People calling models through their ALB sign-in (spec `gateway.sso.group_teams`), without LiteLLM Enterprise.
Runs inside the LiteLLM proxy (LiteLLM, PyJWT and the standard library), chained from master_key_auth.py.

On the listener rules with `authenticate-oidc` the ALB forwards `x-amzn-oidc-data`: a JWT it signs with ES256; its
header carries `kid` (the public key is at `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`, PEM) and
`signer` (the ALB's ARN); its claims are the IdP's user-info claims (AWS docs, Elastic Load Balancing, "Authenticate
users using an Application Load Balancer", section "User claims encoding and signature verification":
docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html). A request carrying it
is authenticated as that person: the signature must verify against the region's key and `signer` must be this
platform's ALB, or it is refused. The person's team is the first `group_teams` entry whose group they are in;
LiteLLM's own team checks (blocked, model allowlist, budget: auth_checks.common_checks of 1.81.16) then apply to
the team read from the gateway's database, as for a team key."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any
from urllib.request import urlopen

ASSERTION_HEADER = "x-amzn-oidc-data"
SIGNER_VARIABLE = "ALB_IDENTITY_SIGNER"
"""Environment variable: the ARN of the ALB whose assertions are trusted."""
KEYS_URL_VARIABLE = "ALB_PUBLIC_KEYS_URL"
"""Environment variable: where the ALB's public keys are, `<this>/<kid>`."""
GROUP_TEAMS_FILE = "sso_group_teams.json"
"""Next to this module: {"groups_claim": claim name, "group_teams": [[group, team], ...] in spec order}."""
FETCH_TIMEOUT_S = 5
_KID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_public_keys: dict[str, str] = {}
"""kid -> PEM: the ALB's keys do not change under a kid."""


def keys_url(region: str) -> str:
    return f"https://public-keys.auth.elb.{region}.amazonaws.com"


def _refuse(message: str, code: int) -> Exception:
    from litellm.proxy._types import ProxyException

    return ProxyException(message=message, type="auth_error", param=ASSERTION_HEADER, code=code)


def _fetch(url: str) -> str:
    with urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
        return response.read().decode()


async def _public_key(base_url: str, kid: str) -> str:
    if kid not in _public_keys:
        if not _KID.match(kid):
            raise _refuse(f"ALB assertion has an invalid kid {kid!r}", 401)
        _public_keys[kid] = await asyncio.to_thread(_fetch, f"{base_url.rstrip('/')}/{kid}")
    return _public_keys[kid]


async def identity(assertion: str, signer: str, base_url: str) -> dict[str, Any]:
    """The verified claims of an ALB assertion; refused (401) when it is not signed by the ALB `signer`."""
    import jwt

    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as error:
        raise _refuse(f"ALB assertion is not a JWT: {error}", 401) from error
    if header.get("signer") != signer:
        raise _refuse(f"ALB assertion signed by {header.get('signer')!r}, not this gateway's load balancer", 401)
    key = await _public_key(base_url, str(header.get("kid", "")))
    try:
        return jwt.decode(assertion, key, algorithms=["ES256"], options={"verify_aud": False})
    except jwt.PyJWTError as error:
        raise _refuse(f"ALB assertion does not verify: {error}", 401) from error


def team_of(claims: dict[str, Any], mapping: dict[str, Any]) -> str:
    """The team of the first mapped group the person is in (spec order); refused (403) when none."""
    groups = claims.get(mapping["groups_claim"]) or []
    groups = {groups} if isinstance(groups, str) else set(groups)
    for group, team in mapping["group_teams"]:
        if group in groups:
            return team
    raise _refuse(f"none of your groups ({', '.join(sorted(groups)) or 'none'}) is mapped to a team "
                  "(gateway.sso.group_teams)", 403)


async def user_api_key_auth(request: Any, signer: str, base_url: str) -> Any:
    """The person of the request's ALB assertion as a member of their team, after LiteLLM's team checks."""
    from litellm import BudgetExceededError
    from litellm.proxy import proxy_server
    from litellm.proxy._types import LitellmUserRoles, ProxyException, UserAPIKeyAuth
    from litellm.proxy.auth.auth_checks import common_checks, get_team_object
    from litellm.proxy.auth.auth_utils import get_request_route
    from litellm.proxy.auth.route_checks import RouteChecks
    from litellm.proxy.common_utils.http_parsing_utils import _read_request_body

    claims = await identity(request.headers[ASSERTION_HEADER], signer, base_url)
    route = get_request_route(request)
    if not RouteChecks.is_llm_api_route(route):
        raise _refuse(f"{route} needs a key; a sign-in only calls models", 403)
    mapping = json.loads(Path(__file__).with_name(GROUP_TEAMS_FILE).read_text())
    team_id = team_of(claims, mapping)
    try:
        team = await get_team_object(team_id, proxy_server.prisma_client, proxy_server.user_api_key_cache,
                                     proxy_logging_obj=proxy_server.proxy_logging_obj)
    except Exception as error:
        raise _refuse(f"team {team_id!r} is not in the gateway's database: {error}", 403) from error
    token = UserAPIKeyAuth(user_id=claims.get("email") or claims.get("sub"), user_role=LitellmUserRoles.INTERNAL_USER,
                           team_id=team.team_id, team_alias=team.team_alias, team_models=team.models,
                           team_max_budget=team.max_budget, team_spend=team.spend, team_blocked=team.blocked,
                           team_tpm_limit=team.tpm_limit, team_rpm_limit=team.rpm_limit,
                           team_metadata=team.metadata)
    try:
        await common_checks(request_body=await _read_request_body(request), team_object=team, user_object=None,
                            end_user_object=None, global_proxy_spend=None,
                            general_settings=proxy_server.general_settings, route=route,
                            llm_router=proxy_server.llm_router, proxy_logging_obj=proxy_server.proxy_logging_obj,
                            valid_token=token, request=request)
    except ProxyException:
        raise
    except BudgetExceededError as error:
        raise ProxyException(message=error.message, type="budget_exceeded", param="team", code=400) from error
    except Exception as error:
        raise _refuse(str(error), 403) from error
    return token
