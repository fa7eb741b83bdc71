"""LiteLLM's DB mode for real: the pinned proxy on a rendered gateway config plus `database_url` on an embedded
Postgres migrated with LiteLLM's own migrations (tests/support/litellm_db.py), Prisma's engine through the test
stand-in (tests/support/prisma_engine). Teams, keys, model allowlists, budgets and spend are LiteLLM's own
(/team/new, /key/generate, /key/block of litellm 1.81.16 proxy/management_endpoints)."""

from __future__ import annotations

import time
from urllib.request import urlopen

import pytest

from blueprints.catalog import metrics as m
from tests.access.conftest import SPEND_WAIT_S, Gateway
from tests.observability.promtool import EXPORTED
from tests.support.litellm_proxy import MASTER_KEY


@pytest.fixture
def gateway(db_gateway: Gateway) -> Gateway:
    """The session's DB-mode proxy (tests/access/conftest.py), shared with the reconciler and keys CLI tests."""
    return db_gateway


def _spend_of(gateway: Gateway, team: str, key: str) -> tuple[float, float]:
    team_spend = gateway.get(f"/team/info?team_id={team}")["team_info"]["spend"]
    key_spend = gateway.get(f"/key/info?key={key}")["info"]["spend"]
    return team_spend, key_spend


@pytest.mark.integration
def test_team_allowlist_budget_spend_and_revoke_on_a_real_database(gateway: Gateway) -> None:
    status, team = gateway.call("/team/new", {"team_id": "search", "team_alias": "search",
                                              "models": ["chat-openai"], "max_budget": 1e-9, "budget_duration": "30d"})
    assert status == 200, team
    status, issued = gateway.call("/key/generate", {"team_id": "search"})
    assert status == 200, issued
    key = issued["key"]

    status, answer = gateway.chat(key, "chat-openai")
    assert status == 200, answer
    assert gateway.backend.request_count == 1
    status, refused = gateway.chat(key, "chat-anthropic")
    assert (status, refused["error"]["type"]) == (401, "team_model_access_denied")
    assert gateway.backend.request_count == 1

    # Both written: the two reads can straddle LiteLLM's batched spend write.
    gateway.wait_for_spend(lambda: min(_spend_of(gateway, "search", key)) > 0)
    team_spend, key_spend = _spend_of(gateway, "search", key)
    assert team_spend > 0 and key_spend == pytest.approx(team_spend)

    status, over = gateway.chat(key, "chat-openai")
    assert (status, over["error"]["type"]) == (400, "budget_exceeded")
    assert "Team=search" in over["error"]["message"]
    assert gateway.backend.request_count == 1

    # Revoke = /key/block: the key and its spend history stay. (/key/delete fails in 1.81.16 on any engine: it copies
    # the key row, agent_id included, into LiteLLM_DeletedVerificationToken, whose schema has no agent_id;
    # key_management_endpoints.py _prepare_deleted_verification_token_records and schema.prisma at v1.81.16.)
    status, _ = gateway.call("/key/block", {"key": key})
    assert status == 200
    status, revoked = gateway.chat(key, "chat-openai")
    assert status == 401, revoked
    assert "blocked" in revoked["error"]["message"].lower()


@pytest.mark.integration
def test_master_key_rotation_takes_effect_without_restart(gateway: Gateway) -> None:
    status, issued = gateway.call("/key/generate", {"models": ["chat-openai"]})
    assert status == 200, issued
    rotated = "sk-rotated-master-key"
    gateway.master_key_file.write_text(rotated + "\n")  # what the kubelet does after External Secrets syncs
    try:
        status, refused = gateway.call("/key/generate", {})
        assert status == 401 and "rotated" in refused["error"]["message"], refused
        status, admin = gateway.call("/key/generate", {"models": ["chat-openai"]}, rotated)
        assert status == 200, admin
        assert gateway.chat(admin["key"], "chat-openai")[0] == 200
        assert gateway.chat(issued["key"], "chat-openai")[0] == 200  # virtual keys are untouched
    finally:
        gateway.master_key_file.write_text(MASTER_KEY)


def _series(gateway: Gateway) -> dict[str, list[dict[str, str]]]:
    """Sample name -> label sets on the proxy's /metrics/ (unauthenticated by default in 1.81.16)."""
    from prometheus_client.parser import text_string_to_metric_families

    with urlopen(f"{gateway.url}/metrics/", timeout=30) as response:
        text = response.read().decode()
    samples: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample.labels)
    return samples


@pytest.mark.integration
def test_spend_and_team_budget_series_appear_per_team_key_and_model(gateway: Gateway) -> None:
    """The series the spend dashboard and the team budget alerts read (catalog names, from LiteLLM's source) are
    emitted by the real proxy in DB mode, labelled with the team, the key and the model."""
    status, _ = gateway.call("/team/new", {"team_id": "analytics", "team_alias": "analytics",
                                           "models": ["chat-openai"], "max_budget": 100.0, "budget_duration": "30d"})
    assert status == 200
    status, issued = gateway.call("/key/generate", {"team_id": "analytics", "key_alias": "analytics-app"})
    assert status == 200, issued
    assert gateway.chat(issued["key"], "chat-openai")[0] == 200

    wanted = {m.LITELLM_SPEND, m.LITELLM_TEAM_BUDGET_REMAINING, m.LITELLM_TEAM_BUDGET_MAX}
    deadline = time.monotonic() + SPEND_WAIT_S
    while True:
        series = _series(gateway)
        found = {name for name in wanted if any(labels.get("team") == "analytics" for labels in series.get(name, []))}
        if found == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert found == wanted
    spend = next(labels for labels in series[m.LITELLM_SPEND] if labels.get("team") == "analytics")
    assert (spend["team_alias"], spend["api_key_alias"], spend["model"]) == ("analytics", "analytics-app",
                                                                           "gpt-4.1-mini")
    assert all(EXPORTED[name].has(label) for name in wanted for labels in series[name] for label in labels)
