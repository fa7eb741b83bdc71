"""A small typed client of LiteLLM's admin API (teams and virtual keys), for the reconciler Job and the `keys` CLI.

Endpoints, query parameters and payload fields are LiteLLM 1.81.16's (litellm/proxy/management_endpoints/
team_endpoints.py: /team/new, /team/update, /team/info, /team/list; key_management_endpoints.py:
/key/generate, /key/info, /key/list, /key/update, /key/block; request models in litellm/proxy/_types.py: NewTeamRequest,
UpdateTeamRequest, GenerateKeyRequest, BlockKeyRequest). Keys are revoked by /key/block, never
/key/delete: blocking keeps the key's spend history, and /key/delete fails in 1.81.16 (README, Teams, keys and
budgets). Every failure is an `AdminApiError`: one line naming the gateway and what to check.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

from blueprints.errors import BlueprintError

TIMEOUT_S = 30.0
KEY_PAGE_SIZE = 100
"""The largest page /key/list serves (its `size` query parameter: le=100)."""


class AdminApiError(BlueprintError):
    """The gateway could not be reached, refused the master key, or refused the request."""


class Team(BaseModel):
    """A row of LiteLLM_TeamTable as /team/list and /team/info return it (the fields we manage)."""

    model_config = ConfigDict(extra="ignore")

    team_id: str
    team_alias: str | None = None
    models: list[str] = []
    max_budget: float | None = None
    budget_duration: str | None = None
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    blocked: bool = False
    spend: float = 0.0
    metadata: dict[str, Any] | None = None


class Key(BaseModel):
    """A virtual key as /key/list (`return_full_object=true`) and /key/info describe it: `token` is the SHA-256 of
    the secret (what /key/block and /key/info also accept), `key_name` its abbreviation (`sk-...abcd`); the secret
    itself is never stored."""

    model_config = ConfigDict(extra="ignore")

    token: str
    key_name: str | None = None
    key_alias: str | None = None
    team_id: str | None = None
    models: list[str] = []
    spend: float = 0.0
    max_budget: float | None = None
    blocked: bool | None = None
    expires: str | None = None


class IssuedKey(BaseModel):
    """The /key/generate answer: `key` is the secret, shown once."""

    model_config = ConfigDict(extra="ignore")

    key: str
    token: str | None = None
    key_alias: str | None = None
    team_id: str | None = None
    models: list[str] = []
    max_budget: float | None = None


def token_of(key: str) -> str:
    """The token (id) of a key: the SHA-256 of a secret `sk-...`, else the key is already a token (LiteLLM 1.81.16
    litellm/proxy/utils.py _hash_token_if_needed, litellm/proxy/_types.py hash_token)."""
    return hashlib.sha256(key.encode()).hexdigest() if key.startswith("sk-") else key


def _reason(response: httpx.Response) -> str:
    """LiteLLM's error text: `{"error": {"message": ...}}` (ProxyException) or FastAPI's `{"detail": ...}`."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    if isinstance(body, dict):
        detail = body.get("error", body.get("detail", body))
        if isinstance(detail, dict):
            detail = detail.get("message", detail.get("error", detail))
        return str(detail)
    return str(body)


class AdminApi:
    """The admin API of the gateway at `base_url` (e.g. http://litellm.gateway.svc.cluster.local:4000), called
    with the master key."""

    def __init__(self, base_url: str, master_key: str, *, timeout_s: float = TIMEOUT_S):
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout_s,
                                    headers={"Authorization": f"Bearer {master_key}"})

    def __enter__(self) -> AdminApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _call(self, method: str, path: str, *, body: dict[str, Any] | None = None,
              params: dict[str, Any] | None = None, missing: str | None = None, absent_ok: bool = False) -> Any:
        """`missing`: the message of a 404 (an unknown team or key), else it is a failed request; `absent_ok`: a
        404 answers None."""
        try:
            response = self._client.request(method, path, json=body, params=params)
        except httpx.HTTPError as error:
            raise AdminApiError(f"gateway {self.base_url} unreachable: {error or type(error).__name__} "
                                "(check --endpoint and that the gateway runs)") from None
        if response.status_code in (401, 403):
            raise AdminApiError(f"gateway {self.base_url} refused the master key on {path} (HTTP "
                                f"{response.status_code}: {_reason(response)}); check the master key") from None
        if response.status_code == 404 and absent_ok:
            return None
        if response.status_code == 404 and missing:
            raise AdminApiError(missing)
        if response.status_code >= 400:
            raise AdminApiError(f"gateway {self.base_url}: {method} {path} failed (HTTP {response.status_code}: "
                                f"{_reason(response)})")
        return response.json()

    # Teams ---------------------------------------------------------------------------------------------------

    def teams(self) -> list[Team]:
        return [Team.model_validate(team) for team in self._call("GET", "/team/list")]

    def team(self, team_id: str) -> Team:
        found = self._call("GET", "/team/info", params={"team_id": team_id},
                           missing=f"unknown team {team_id!r} on gateway {self.base_url} (declare it in "
                                   "access.teams and run `pulumi up`)")
        return Team.model_validate(found["team_info"])

    def create_team(self, team_id: str, fields: dict[str, Any]) -> Team:
        """`fields`: NewTeamRequest fields besides team_id (team_alias, models, max_budget, budget_duration,
        rpm_limit, tpm_limit, blocked, metadata)."""
        return Team.model_validate(self._call("POST", "/team/new", body={"team_id": team_id, **fields}))

    def update_team(self, team_id: str, fields: dict[str, Any]) -> None:
        """Only the given fields change (/team/update applies the fields set in the request, nulls included)."""
        self._call("POST", "/team/update", body={"team_id": team_id, **fields},
                   missing=f"unknown team {team_id!r} on gateway {self.base_url}")

    def block_team(self, team_id: str) -> None:
        """Through /team/update, not /team/block: in 1.81.16 /team/block writes the row but leaves the proxy's cached
        team object as it was (team_endpoints.py block_team vs update_team's _cache_team_object), so the team's
        keys keep working until that cache expires; tests/access/test_reconcile.py shows the block at once."""
        self.update_team(team_id, {"blocked": True})

    # Keys ----------------------------------------------------------------------------------------------------

    def generate_key(self, team_id: str, *, models: list[str] | None = None, max_budget: float | None = None,
                     key_alias: str | None = None) -> IssuedKey:
        """A key of `team_id`; `models` narrows the team's models (empty: the team's), `max_budget` caps the key
        within the team's budget."""
        body: dict[str, Any] = {"team_id": team_id, "models": models or []}
        if max_budget is not None:
            body["max_budget"] = max_budget
        if key_alias is not None:
            body["key_alias"] = key_alias
        return IssuedKey.model_validate(self._call("POST", "/key/generate", body=body))

    def keys(self, team_id: str) -> list[Key]:
        keys: list[Key] = []
        page = 1
        while True:
            found = self._call("GET", "/key/list", params={"team_id": team_id, "return_full_object": "true",
                                                           "page": page, "size": KEY_PAGE_SIZE})
            keys += [Key.model_validate(key) for key in found["keys"]]
            if page >= (found.get("total_pages") or 1):
                return keys
            page += 1

    def key(self, key: str) -> Key:
        """`key`: the secret (sk-...) or its token hash."""
        found = self._call("GET", "/key/info", params={"key": key},
                           missing=f"unknown key on gateway {self.base_url}")
        return Key.model_validate({**found["info"], "token": token_of(key)})

    def find_key(self, key: str) -> Key | None:
        """Like `key`, but None for a key the gateway does not know (HTTP 404: never issued, or deleted)."""
        found = self._call("GET", "/key/info", params={"key": key}, absent_ok=True)
        return None if found is None else Key.model_validate({**found["info"], "token": token_of(key)})

    def retire_key(self, key: str, alias: str) -> None:
        """Block a key and rename its alias to `alias`: aliases are unique across all keys, blocked ones included
        (1.81.16 key_management_endpoints.py _enforce_unique_key_alias), so a replacement can take the old alias."""
        self._call("POST", "/key/update", body={"key": key, "key_alias": alias},
                   missing=f"unknown key on gateway {self.base_url}")
        self.block_key(key)

    def block_key(self, key: str) -> None:
        self._call("POST", "/key/block", body={"key": key}, missing=f"unknown key on gateway {self.base_url}")
