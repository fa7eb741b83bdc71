"""`python -m blueprints keys issue|list|revoke --team T`: a team's virtual keys on the gateway, through LiteLLM's
admin API with the master key (blueprints.access.admin_api). Teams themselves come from the spec (`access.teams`,
applied by the reconciler Job); keys are ad hoc. `issue` prints the secret once; `list` shows a key's token (the
SHA-256 LiteLLM keys it by) and its abbreviation, never the secret; `revoke` blocks the key (its spend history
stays)."""

from __future__ import annotations

import argparse
import json
import os

from blueprints.access.admin_api import AdminApi, Key, Team
from blueprints.errors import BlueprintError

NAME = "keys"
HELP = "Issue, list and revoke a team's virtual keys on the gateway (LiteLLM admin API, master key)."
ENDPOINT_ENV = "GATEWAY_URL"
MASTER_KEY_ENV = "LITELLM_MASTER_KEY"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions = {"issue": "issue a new key of the team (the secret is printed once)",
               "list": "list the team's keys (tokens and abbreviations, never secrets)",
               "revoke": "block one of the team's keys (kept, with its spend history)"}
    for action, help_text in actions.items():
        command = sub.add_parser(action, help=help_text, description=help_text)
        command.add_argument("--team", required=True, help="team name (access.teams[].name)")
        command.add_argument("--endpoint", default=os.environ.get(ENDPOINT_ENV),
                             help=f"gateway base URL, e.g. https://llm.example.com (default: ${ENDPOINT_ENV})")
        command.add_argument("--master-key-env", default=MASTER_KEY_ENV, metavar="VAR",
                             help=f"environment variable holding the master key (default {MASTER_KEY_ENV})")
        command.add_argument("--format", choices=("text", "json"), default="text")
        if action == "issue":
            command.add_argument("--models", nargs="+", metavar="MODEL",
                                 help="narrow the key to these of the team's models (default: all of them)")
            command.add_argument("--budget", type=float, metavar="USD",
                                 help="the key's own spend ceiling within the team's budget")
            command.add_argument("--alias", help="a name for the key (shown by `keys list`)")
        if action == "revoke":
            command.add_argument("--key", required=True,
                                 help="the key's secret (sk-...) or its token as `keys list` shows it")


def _api(args: argparse.Namespace) -> AdminApi:
    if not args.endpoint:
        raise BlueprintError(f"--endpoint: required (got none and ${ENDPOINT_ENV} is not set; e.g. "
                             "https://llm.example.com or http://127.0.0.1:4000 through a port-forward)")
    master_key = os.environ.get(args.master_key_env, "").strip()
    if not master_key:
        raise BlueprintError(f"--master-key-env: ${args.master_key_env} is not set (allowed: a variable holding the "
                             "gateway's master key, e.g. read from its Secrets Manager secret)")
    return AdminApi(args.endpoint, master_key)


def _issue(api: AdminApi, team: Team, args: argparse.Namespace) -> str:
    if team.blocked:
        raise BlueprintError(f"--team: team {team.team_id!r} is blocked (allowed: a team access.teams declares "
                             "without blocked: true)")
    outside = [model for model in args.models or [] if team.models and model not in team.models]
    if outside:
        raise BlueprintError(f"--models: {', '.join(outside)} not allowed for team {team.team_id!r} "
                             f"(allowed: {', '.join(team.models)})")
    if args.budget is not None and not args.budget > 0:
        raise BlueprintError(f"--budget: must be above 0 USD (got {args.budget:g})")
    issued = api.generate_key(team.team_id, models=args.models, max_budget=args.budget, key_alias=args.alias)
    if args.format == "json":
        return json.dumps(issued.model_dump(mode="json"), indent=2)
    models = ", ".join(issued.models or team.models) or "all"
    budget = f"${issued.max_budget:g}" if issued.max_budget is not None else "the team's"
    return (f"{issued.key}\nkey of team {team.team_id} (models: {models}; budget: {budget}). Store it now: the "
            "gateway keeps only its hash and it is not shown again.")


def _table(keys: list[Key]) -> str:
    if not keys:
        return "no keys"
    rows = [("TOKEN", "KEY", "ALIAS", "SPEND_USD", "MAX_BUDGET_USD", "BLOCKED", "MODELS")]
    rows += [(key.token[:16], key.key_name or "", key.key_alias or "", f"{key.spend:.6f}",
              "" if key.max_budget is None else f"{key.max_budget:g}", "yes" if key.blocked else "no",
              ",".join(key.models) or "(team's)") for key in keys]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def _revoke(api: AdminApi, team: Team, args: argparse.Namespace) -> str:
    key = api.key(args.key)
    if key.team_id != team.team_id:
        raise BlueprintError(f"--key: belongs to team {key.team_id!r}, not {team.team_id!r} (allowed: a key "
                             f"`keys list --team {team.team_id}` shows)")
    api.block_key(key.token)
    if args.format == "json":
        return json.dumps({"revoked": key.token, "team": team.team_id, "key_name": key.key_name})
    return f"revoked {key.key_name or key.token[:16]} of team {team.team_id}: blocked, spend history kept"


def run(args: argparse.Namespace) -> int:
    with _api(args) as api:
        team = api.team(args.team)
        if args.action == "issue":
            print(_issue(api, team, args))
        elif args.action == "list":
            keys = api.keys(team.team_id)
            print(json.dumps([key.model_dump(mode="json") for key in keys], indent=2) if args.format == "json"
                  else _table(keys))
        else:
            print(_revoke(api, team, args))
    return 0
