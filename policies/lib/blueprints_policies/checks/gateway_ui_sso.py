"""People sign in to the gateway's admin UI through the identity provider: on every HTTPS listener, the first rule
(by priority) that matches a page of LiteLLM's UI authenticates with `authenticate-oidc` (or `authenticate-cognito`)
and asks unauthenticated visitors to sign in, before any routing action.

The pages are LiteLLM 1.81.16's browser routes (litellm/proxy/proxy_server.py: the `/ui` mount and the `/login`,
`/v2/login`, `/fallback/login` sign-in form that takes the master key as a password; management_endpoints/ui_sso.py:
`/sso/*`). A rule matches a request when every path pattern of one of its path-pattern conditions matches it with
ELB's wildcards (`*` any characters, `?` one); a rule without a path condition matches every path. Requests no
rule matches get the listener's default action, which never authenticates here.
"""

from collections.abc import Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from .. import tokens
from ..model import Finding, Res, StackContext
from ..props import dig, items

UI_REQUESTS = ("/ui", "/ui/", "/ui/login", "/login", "/v2/login", "/fallback/login", "/sso/key/generate",
               "/sso/callback")
"""Requests a browser makes to open the UI and sign in (paths of the routes above)."""
AUTHENTICATE = ("authenticate-oidc", "authenticate-cognito")
ROUTING = ("forward", "redirect", "fixed-response")


def _matches(rule: Mapping[str, Any], path: str) -> bool:
    paths = [c for c in items(rule.get("conditions")) if isinstance(c, Mapping) and c.get("pathPattern")]
    return not paths or any(any(fnmatchcase(path, str(p)) for p in items(dig(c, "pathPattern.values")))
                            for c in paths)


def _authenticates(rule: Mapping[str, Any]) -> bool:
    """An authenticate action that signs visitors in comes before the routing action (ELB orders by `order`,
    then as listed)."""
    actions = [a for a in items(rule.get("actions")) if isinstance(a, Mapping)]
    ordered = sorted(enumerate(actions), key=lambda pair: (pair[1].get("order", pair[0] + 1), pair[0]))
    for _, action in ordered:
        if action.get("type") in ROUTING:
            return False
        if action.get("type") in AUTHENTICATE:
            key = "authenticateOidc" if action["type"] == "authenticate-oidc" else "authenticateCognito"
            return dig(action, f"{key}.onUnauthenticatedRequest") in (None, "authenticate")
    return False


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    rules = [r for r in resources if r.type in tokens.LB_LISTENER_RULE]
    for listener in (r for r in resources if r.type in tokens.LB_LISTENER):
        if listener.props.get("protocol") != "HTTPS":
            continue
        ids = {str(v) for v in (listener.props.get("arn"), listener.props.get("id")) if v}
        mine = sorted((r for r in rules if str(r.props.get("listenerArn")) in ids),
                      key=lambda r: float(r.props.get("priority") or 0))
        for path in UI_REQUESTS:
            first = next((r for r in mine if _matches(r.props, path)), None)
            if first is None:
                yield Finding(f"HTTPS listener {listener.name!r} sends {path} (the admin UI) to its default action "
                              "without sign-in: add a listener rule for the UI paths whose first action is "
                              "authenticate-oidc with onUnauthenticatedRequest 'authenticate'", listener.urn)
            elif not _authenticates(first.props):
                yield Finding(f"listener rule {first.name!r} routes {path} (the admin UI) without an "
                              "authenticate-oidc action (onUnauthenticatedRequest 'authenticate') before it",
                              first.urn)
