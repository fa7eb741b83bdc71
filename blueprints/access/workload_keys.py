"""Virtual keys of the platform's own workloads (batch worker, eval runner, feedback quality worker), issued by the
key reconciler Job so that no workload holds the gateway's master key.

Each key belongs to the platform's team (its models, budget and limits govern the key: the key itself narrows
nothing) and is aliased after its workload (`platform-batch`, ...). The secret is shown by /key/generate once and
LiteLLM keeps only its hash, so the Job writes it into that workload's Secrets Manager secret (created empty by
Pulumi, KMS-encrypted; External Secrets syncs it into the workload's namespace): the key never enters Pulumi state.
Idempotent: a rerun reads the stored key back and keeps it while the gateway still knows it as a valid key of that
workload (same alias and team, not blocked); otherwise it blocks the workload's old keys (renamed
`<alias>-retired-<id>`), issues a new one and stores it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from blueprints.access.admin_api import AdminApi


class WorkloadKey(BaseModel):
    """One workload's key: its alias on the gateway and the Secrets Manager secret (name or ARN) that holds it."""

    model_config = ConfigDict(extra="forbid")

    alias: str
    secret_id: str


class KeyStore(Protocol):
    def get(self, secret_id: str) -> str | None: ...

    def put(self, secret_id: str, value: str) -> None: ...


class SecretsManagerStore:
    """The workloads' key secrets in Secrets Manager (boto3's standard configuration: the Job's pod identity, region
    and `AWS_ENDPOINT_URL`). The Job's role may read and write exactly those secrets."""

    def __init__(self) -> None:
        import boto3  # in LiteLLM's image (its Bedrock support); imported here so planning needs no AWS SDK

        self._client = boto3.client("secretsmanager")

    def get(self, secret_id: str) -> str | None:
        """None while the secret has no value yet (Pulumi creates it empty)."""
        try:
            return str(self._client.get_secret_value(SecretId=secret_id)["SecretString"]) or None
        except self._client.exceptions.ResourceNotFoundException:
            return None

    def put(self, secret_id: str, value: str) -> None:
        self._client.put_secret_value(SecretId=secret_id, SecretString=value)


class KeyChange(BaseModel):
    alias: str
    action: Literal["keep", "issue", "replace"]

    def describe(self) -> str:
        return f"{self.action} key {self.alias}"


def ensure_keys(api: AdminApi, store: KeyStore, team: str, keys: Sequence[WorkloadKey]) -> list[KeyChange]:
    """Make each workload's stored key a valid key of `team` on the gateway; returns what was done per key."""
    changes = []
    for wanted in keys:
        stored = store.get(wanted.secret_id)
        found = api.find_key(stored) if stored else None
        if found is not None and found.key_alias == wanted.alias and found.team_id == team and not found.blocked:
            changes.append(KeyChange(alias=wanted.alias, action="keep"))
            continue
        for old in api.keys(team):  # the alias is unique on the gateway: free it first
            if old.key_alias == wanted.alias:
                api.retire_key(old.token, f"{wanted.alias}-retired-{old.token[:12]}")
        issued = api.generate_key(team, key_alias=wanted.alias)
        store.put(wanted.secret_id, issued.key)
        changes.append(KeyChange(alias=wanted.alias, action="replace" if stored else "issue"))
    return changes
