"""The reconciler Job's own files and command (blueprints/access/manifests.py, laid out as the kubelet mounts them,
run by LiteLLM 1.81.16's Python) against the real proxy on a real database (tests/access/conftest.py): spec-declared
teams are created and enforced by the gateway, a second run changes nothing, a changed team is updated in place, a
team dropped from the spec is blocked (not deleted), a team made by hand is left alone unless the spec declares it
(then the spec owns it)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from blueprints.access.admin_api import AdminApi
from blueprints.access.manifests import access_manifests
from blueprints.access.reconcile import GATEWAY_URL_ENV, MANAGED_BY, MANAGED_BY_KEY, MASTER_KEY_ENV
from blueprints.cli import main
from tests.access.conftest import Gateway, gateway_spec, mount_job_files
from tests.support.litellm_proxy import LITELLM, MASTER_KEY

pytestmark = pytest.mark.integration


def run_job(gateway: Gateway, teams: list[dict[str, Any]], directory: Path) -> dict[str, Any]:
    """Run the reconciler Job planned for a spec declaring `teams` (runtime eks: teams need the cluster) against
    the test gateway; returns its summary line."""
    spec = gateway_spec(gateway.backend.base_url, {"runtime": "eks", "gateway": {"cpu": 2},
                                                    "access": {"teams": teams}})
    directory.mkdir(parents=True, exist_ok=True)
    container = mount_job_files(access_manifests(spec, spec.regions[0]), directory)
    env = {item["name"]: item.get("value", "") for item in container["env"]}
    env.update({GATEWAY_URL_ENV: gateway.url, MASTER_KEY_ENV: MASTER_KEY, "NO_PROXY": "127.0.0.1"})
    command = [str(LITELLM.parent / "python"), *container["command"][1:]]
    result = subprocess.run(command, env=env, cwd=directory, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def issue(team: str, gateway: Gateway, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    assert main(["keys", "issue", "--team", team, "--endpoint", gateway.url, "--format", "json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MASTER_KEY_ENV, MASTER_KEY)


def test_declared_teams_are_created_enforced_and_a_rerun_changes_nothing(
        db_gateway: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str], master_key: None) -> None:
    teams = [{"name": "docs-search", "models": ["chat-openai"], "max_budget_usd": 1e-9, "budget_duration": "30d"},
             {"name": "ops", "models": ["chat-openai", "chat-anthropic"], "max_budget_usd": 50, "rpm_limit": 600,
              "tpm_limit": 100000}]
    summary = run_job(db_gateway, teams, tmp_path / "first")
    assert summary["actions"] == {"create": 2, "update": 0, "block": 0}
    with AdminApi(db_gateway.url, MASTER_KEY) as api:
        search, ops = api.team("docs-search"), api.team("ops")
    assert (search.models, search.max_budget, search.budget_duration, search.blocked) == (
        ["chat-openai"], 1e-9, "30d", False)
    assert (sorted(ops.models), ops.max_budget, ops.budget_duration, ops.rpm_limit, ops.tpm_limit) == (
        ["chat-anthropic", "chat-openai"], 50, "1mo", 600, 100000)
    assert search.metadata == {MANAGED_BY_KEY: MANAGED_BY}

    key = issue("docs-search", db_gateway, capsys)["key"]
    calls = db_gateway.backend.request_count
    status, answer = db_gateway.chat(key, "chat-openai")
    assert status == 200, answer
    status, refused = db_gateway.chat(key, "chat-anthropic")
    assert (status, refused["error"]["type"]) == (401, "team_model_access_denied")
    assert db_gateway.backend.request_count == calls + 1

    def spend() -> tuple[float, float]:
        return (db_gateway.get("/team/info?team_id=docs-search")["team_info"]["spend"],
                db_gateway.get(f"/key/info?key={key}")["info"]["spend"])

    db_gateway.wait_for_spend(lambda: min(spend()) > 0)  # both: the two reads can straddle a batched write
    team_spend, key_spend = spend()
    assert team_spend > 0 and key_spend == pytest.approx(team_spend)
    status, over = db_gateway.chat(key, "chat-openai")
    assert (status, over["error"]["type"]) == (400, "budget_exceeded")
    assert "Team=docs-search" in over["error"]["message"]
    assert db_gateway.backend.request_count == calls + 1

    assert run_job(db_gateway, teams, tmp_path / "again") == {
        "teams": 2, "changes": 0, "actions": {"create": 0, "update": 0, "block": 0}}


def test_changed_teams_are_updated_and_dropped_teams_blocked(
        db_gateway: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str], master_key: None) -> None:
    for team in ("by-hand", "adopted"):
        status, _ = db_gateway.call("/team/new", {"team_id": team, "models": ["chat-openai"]})
        assert status == 200
    first = [{"name": "alpha", "models": ["chat-openai"], "max_budget_usd": 10},
             {"name": "beta", "models": ["chat-openai"], "max_budget_usd": 10},
             {"name": "adopted", "models": ["chat-openai"], "max_budget_usd": 10}]
    summary = run_job(db_gateway, first, tmp_path / "first")
    # The hand-made team the spec declares is adopted (updated); teams of earlier tests may be blocked here.
    assert (summary["actions"]["create"], summary["actions"]["update"]) == (2, 1)
    alpha_key, beta_key = (issue(team, db_gateway, capsys)["key"] for team in ("alpha", "beta"))
    assert db_gateway.chat(beta_key, "chat-openai")[0] == 200

    changed = [{"name": "alpha", "models": ["chat-openai", "chat-anthropic"], "max_budget_usd": 20,
                "rpm_limit": 100}]
    summary = run_job(db_gateway, changed, tmp_path / "changed")
    assert summary["actions"] == {"create": 0, "update": 1, "block": 2}
    with AdminApi(db_gateway.url, MASTER_KEY) as api:
        alpha, beta, by_hand = api.team("alpha"), api.team("beta"), api.team("by-hand")
        assert api.team("adopted").blocked
    assert (sorted(alpha.models), alpha.max_budget, alpha.rpm_limit, alpha.blocked) == (
        ["chat-anthropic", "chat-openai"], 20, 100, False)
    assert beta.blocked and not by_hand.blocked
    status, refused = db_gateway.chat(beta_key, "chat-openai")
    assert status == 401 and "blocked" in refused["error"]["message"].lower(), refused
    assert db_gateway.get(f"/key/info?key={beta_key}")["info"]["spend"] >= 0  # the key and its history stay
    assert db_gateway.chat(alpha_key, "chat-openai")[0] == 200

    assert run_job(db_gateway, changed, tmp_path / "again")["changes"] == 0
    back = run_job(db_gateway, first, tmp_path / "back")  # declared again: unblocked, budget restored
    assert back["actions"] == {"create": 0, "update": 3, "block": 0}
    assert db_gateway.chat(beta_key, "chat-openai")[0] == 200
