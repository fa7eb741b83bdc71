"""Single sign-on for people (spec `gateway.sso`): which of the gateway's paths a browser opens, and the ALB's
`authenticate-oidc` action that puts them behind the organisation's OpenID Connect identity provider.

API clients call /v1/* and the admin API (/key/*, /team/*, ...) with a virtual or master key and never meet the
IdP. People open the admin UI: these paths of LiteLLM 1.81.16 are what a browser navigates to
(litellm/proxy/proxy_server.py and management_endpoints/ui_sso.py at that version):

- `/ui`, `/ui/*`: the admin UI (`app.mount("/ui", StaticFiles(...))`), and `/_next/*`, its scripts
  (`app.mount("/_next", ...)`);
- `/login`, `/v2/login`, `/fallback/login`: the UI's sign-in form, which takes the master key as a password;
- `/sso/*`: LiteLLM's own SSO flow (`/sso/key/generate`, `/sso/callback`, `/sso/debug/*`);
- `/onboarding/*`: invitation links (`/onboarding/get_token`, `/onboarding/claim_token`);
- `/oauth2/idpresponse`: the ALB's own redirect URI, where the IdP sends people back (register
  `https://<domain_name>/oauth2/idpresponse` with the IdP).
- `/chat/completions`: where people call models with their sign-in (proxy_server.py serves it beside
  `/v1/chat/completions`); the ALB forwards their verified identity, which alb_identity_auth.py maps to a team
  (`group_teams`). API clients keep `/v1/*`, which the IdP never sees.

The ALB needs the client secret itself (AuthenticateOidcActionConfig.ClientSecret of the ELBv2 API); its one
plaintext home is Secrets Manager, written write-only from `pulumi config set --secret` (components/gateway.py).
"""

from __future__ import annotations

import json
from typing import Any

from blueprints.gateway.alb_identity_auth import KEYS_URL_VARIABLE, SIGNER_VARIABLE, keys_url
from blueprints.spec import SsoSpec

CLIENT_SECRET_CONFIG_KEY = "ssoClientSecret"
"""Stack config key (namespace `llm-platform`, set with --secret) of the IdP client's secret."""
CLIENT_SECRET_NAME = "gateway-sso-client-secret"
"""The Secrets Manager secret holding it (`<platform prefix>/<this>`)."""
CLIENT_SECRET_ENV = "GENERIC_CLIENT_SECRET"
"""Its name inside a JSON secret and in LiteLLM's environment (management_endpoints/ui_sso.py reads it)."""
ALB_CALLBACK_PATH = "/oauth2/idpresponse"
PEOPLE_MODEL_PATH = "/chat/completions"
HUMAN_PATHS = ("/ui", "/ui/*", "/_next/*", "/login", "/v2/login", "/fallback/login", "/sso/*", "/onboarding/*",
               ALB_CALLBACK_PATH, PEOPLE_MODEL_PATH)
"""ALB path patterns of the pages people open (module docstring)."""
MAX_CONDITION_VALUES = 5
"""An ALB listener rule matches at most 5 condition values ("Condition values per rule", Application Load Balancer
quotas: docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html)."""
SESSION_COOKIE = "AWSELBAuthSessionCookie"
"""The ALB's default session cookie name (AuthenticateOidcActionConfig.SessionCookieName)."""


def human_path_groups() -> list[list[str]]:
    """HUMAN_PATHS in listener-rule-sized groups: one rule per group, each authenticating then forwarding."""
    return [list(HUMAN_PATHS[i:i + MAX_CONDITION_VALUES]) for i in range(0, len(HUMAN_PATHS), MAX_CONDITION_VALUES)]


def authenticate_oidc(sso: SsoSpec, client_secret: Any) -> dict[str, Any]:
    """The action's `authenticate_oidc` block (pulumi_aws.lb.ListenerRuleActionAuthenticateOidcArgs): people
    without a session are sent to the IdP's sign-in page."""
    return {"issuer": sso.issuer, "authorization_endpoint": sso.authorization_endpoint,
            "token_endpoint": sso.token_endpoint, "user_info_endpoint": sso.user_info_endpoint,
            "client_id": sso.client_id, "client_secret": client_secret, "scope": sso.scope,
            "session_cookie_name": SESSION_COOKIE, "session_timeout": sso.session_timeout_s,
            "on_unauthenticated_request": "authenticate"}


def authenticated_forward(sso: SsoSpec, client_secret: Any, target_group_arn: Any) -> list[dict[str, Any]]:
    """A rule's actions: authenticate first, then forward (ELBv2 runs actions by `order`; the routing action
    must come last)."""
    return [{"type": "authenticate-oidc", "order": 1, "authenticate_oidc": authenticate_oidc(sso, client_secret)},
            {"type": "forward", "order": 2, "target_group_arn": target_group_arn}]


def idp_cidrs(sso: SsoSpec) -> list[str]:
    """Where the load balancer's security group lets it call the IdP (`sso.idp_cidrs`; anywhere by default)."""
    return list(sso.idp_cidrs) if sso.idp_cidrs is not None else ["0.0.0.0/0"]


def group_teams_file(sso: SsoSpec) -> str:
    """alb_identity_auth.GROUP_TEAMS_FILE: the group -> team mapping in spec order (the first match wins)."""
    return json.dumps({"groups_claim": sso.groups_claim, "group_teams": [list(p) for p in sso.group_teams.items()]})


def identity_environment(region: str, load_balancer_arn: Any) -> dict[str, Any]:
    """The gateway's settings for trusting the ALB's sign-in assertions: its ARN and the region's key endpoint."""
    return {SIGNER_VARIABLE: load_balancer_arn, KEYS_URL_VARIABLE: keys_url(region)}
