"""`python -m blueprints keys issue|list|revoke` against the real proxy on a real database (tests/access/conftest.py):
the secret is printed once and never listed, a key narrowed to one model and a budget is enforced, revoke takes
effect; an unreachable gateway, a wrong master key or an unknown team is one line and exit code 2."""

from __future__ import annotations

import json

import pytest

from blueprints.cli import main
from tests.access.conftest import Gateway
from tests.support.litellm_proxy import MASTER_KEY
from tests.support.net import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def team(db_gateway: Gateway) -> str:
    """A team as the reconciler creates it (its own tests: test_reconcile.py)."""
    status, created = db_gateway.call("/team/new", {"team_id": "cli", "models": ["chat-openai", "chat-anthropic"],
                                                    "max_budget": 100})
    assert status == 200 or "already exists" in json.dumps(created), created
    return "cli"


def keys(*argv: str) -> int:
    return main(["keys", *argv])


def test_issue_list_and_revoke(db_gateway: Gateway, team: str, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_URL", db_gateway.url)
    monkeypatch.setenv("ADMIN_KEY", MASTER_KEY)
    admin = ["--team", team, "--master-key-env", "ADMIN_KEY"]
    assert keys("issue", *admin, "--models", "chat-openai", "--budget", "5", "--alias", "ci") == 0
    printed = capsys.readouterr().out
    secret = printed.splitlines()[0]
    assert secret.startswith("sk-") and "not shown again" in printed

    status, answer = db_gateway.chat(secret, "chat-openai")
    assert status == 200, answer
    status, refused = db_gateway.chat(secret, "chat-anthropic")  # the team allows it, the key does not
    assert status == 401, refused

    assert keys("list", *admin, "--format", "json") == 0
    listed = capsys.readouterr().out
    assert secret not in listed and secret[3:] not in listed
    [row] = [key for key in json.loads(listed) if key["key_alias"] == "ci"]
    assert (row["models"], row["max_budget"], row["blocked"], row["team_id"]) == (["chat-openai"], 5, None, team)
    assert row["key_name"].startswith("sk-...") and secret.endswith(row["key_name"][-4:])

    assert keys("revoke", *admin, "--key", row["token"]) == 0
    assert "blocked, spend history kept" in capsys.readouterr().out
    status, revoked = db_gateway.chat(secret, "chat-openai")
    assert status == 401 and "blocked" in revoked["error"]["message"].lower(), revoked
    assert keys("list", *admin) == 0
    table = capsys.readouterr().out
    assert secret not in table
    [line] = [line for line in table.splitlines() if " ci " in line]
    assert line.split()[:2] == [row["token"][:16], row["key_name"]] and " yes " in line


def test_revoke_refuses_a_key_of_another_team(db_gateway: Gateway, team: str, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_MASTER_KEY", MASTER_KEY)
    status, other = db_gateway.call("/key/generate", {"models": ["chat-openai"]})
    assert status == 200
    assert keys("revoke", "--team", team, "--endpoint", db_gateway.url, "--key", other["key"]) == 2
    assert "belongs to team None, not 'cli'" in capsys.readouterr().err
    assert db_gateway.chat(other["key"], "chat-openai")[0] == 200


@pytest.mark.parametrize("case", ["unreachable", "wrong master key", "unknown team"])
def test_failures_are_one_line_and_exit_2(db_gateway: Gateway, team: str, case: str,
                                         capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-wrong" if case == "wrong master key" else MASTER_KEY)
    endpoint = f"http://127.0.0.1:{free_port()}" if case == "unreachable" else db_gateway.url
    assert keys("list", "--team", "nobody" if case == "unknown team" else team, "--endpoint", endpoint) == 2
    captured = capsys.readouterr()
    expected = {"unreachable": "unreachable: [Errno 111] Connection refused (check --endpoint",
                "wrong master key": "refused the master key", "unknown team": "unknown team 'nobody'"}[case]
    assert expected in captured.err and captured.err.count("\n") == 1 and not captured.out, captured.err


@pytest.mark.parametrize(("team_fields", "extra", "expected"), [
    ({"blocked": True}, [], "team 'refusing' is blocked"),
    ({}, ["--models", "chat-anthropic"], "--models: chat-anthropic not allowed for team 'refusing' (allowed: "
                                         "chat-openai)"),
    ({}, ["--budget", "0"], "--budget: must be above 0 USD (got 0)"),
])
def test_issue_refuses_what_the_team_does_not_allow(db_gateway: Gateway, team_fields: dict, extra: list[str],
                                                    expected: str, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_MASTER_KEY", MASTER_KEY)
    db_gateway.call("/team/new", {"team_id": "refusing", "models": ["chat-openai"]})
    assert db_gateway.call("/team/update", {"team_id": "refusing", "blocked": False, **team_fields})[0] == 200
    before = len(db_gateway.get("/key/list?team_id=refusing")["keys"])
    assert keys("issue", "--team", "refusing", "--endpoint", db_gateway.url, *extra) == 2
    captured = capsys.readouterr()
    assert expected in captured.err and captured.err.count("\n") == 1 and not captured.out, captured.err
    assert len(db_gateway.get("/key/list?team_id=refusing")["keys"]) == before
