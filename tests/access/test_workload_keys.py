"""The reconciler Job issues the platform workloads' own virtual keys (blueprints/access/workload_keys.py): its
mounted files and command run by LiteLLM 1.81.16's Python against the real proxy on a real database
(tests/access/conftest.py) and Secrets Manager on a moto server. A key is issued once and written to its workload's
secret; a rerun keeps it; a key the gateway no longer accepts is replaced (and blocked); a workload key calls its
team's models and cannot call the admin API."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest

from blueprints.access.admin_api import AdminApi
from blueprints.access.manifests import access_manifests
from blueprints.access.reconcile import GATEWAY_URL_ENV, MASTER_KEY_ENV, DesiredTeams
from blueprints.access.workload_keys import WorkloadKey
from blueprints.teams import TeamSpec
from tests.access.conftest import Gateway, gateway_spec, mount_job_files
from tests.support.litellm_proxy import LITELLM, MASTER_KEY

pytestmark = pytest.mark.integration

REGION = "us-east-1"
WORKLOADS = ("platform-batch", "platform-eval", "platform-quality")
PLATFORM = TeamSpec(name="platform", models=["chat-openai"], max_budget_usd=50, rpm_limit=600)


def aws_env(endpoint: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing"}


def run_job(gateway: Gateway, desired: DesiredTeams, directory: Path, endpoint: str) -> dict[str, Any]:
    """The Job's files and command for a spec with one team; its teams file replaced by `desired`."""
    spec = gateway_spec(gateway.backend.base_url, {"runtime": "eks", "gateway": {"cpu": 2}, "access": {"teams": [
        {"name": "ops", "models": ["chat-openai"], "max_budget_usd": 5}]}})
    directory.mkdir(parents=True, exist_ok=True)
    container = mount_job_files(access_manifests(spec, spec.regions[0]), directory)
    env = {item["name"]: item.get("value", "") for item in container["env"]}
    Path(env["ACCESS_TEAMS_FILE"]).write_text(desired.model_dump_json())
    env.update({GATEWAY_URL_ENV: gateway.url, MASTER_KEY_ENV: MASTER_KEY, "NO_PROXY": "127.0.0.1",
                **aws_env(endpoint)})
    command = [str(LITELLM.parent / "python"), *container["command"][1:]]
    result = subprocess.run(command, env=env, cwd=directory, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_workload_keys_are_issued_once_kept_replaced_and_not_admin(
        db_gateway: Gateway, tmp_path: Path, moto_endpoint: str) -> None:
    client = boto3.client("secretsmanager", endpoint_url=moto_endpoint, region_name=REGION,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    keys = []
    for alias in WORKLOADS:  # created empty, as Pulumi does: the value is the Job's to write
        arn = client.create_secret(Name=f"{tmp_path.name}/{alias}", Description=alias)["ARN"]
        keys.append(WorkloadKey(alias=alias, secret_id=arn))
    desired = DesiredTeams(teams=[TeamSpec(name="ops", models=["chat-openai"], max_budget_usd=5)],
                           workload_team=PLATFORM, workload_keys=keys)

    first = run_job(db_gateway, desired, tmp_path / "first", moto_endpoint)
    assert first["keys"] == {"keep": 0, "issue": 3, "replace": 0}
    stored = {key.alias: client.get_secret_value(SecretId=key.secret_id)["SecretString"] for key in keys}
    with AdminApi(db_gateway.url, MASTER_KEY) as api:
        issued = {alias: api.key(value) for alias, value in stored.items()}
        assert len(api.keys("platform")) == 3
    assert {alias: (key.key_alias, key.team_id) for alias, key in issued.items()} == {
        alias: (alias, "platform") for alias in WORKLOADS}

    second = run_job(db_gateway, desired, tmp_path / "second", moto_endpoint)
    assert second["keys"] == {"keep": 3, "issue": 0, "replace": 0}
    assert second["actions"] == {"create": 0, "update": 0, "block": 0}
    assert {key.alias: client.get_secret_value(SecretId=key.secret_id)["SecretString"] for key in keys} == stored

    batch = stored["platform-batch"]
    status, answer = db_gateway.chat(batch, "chat-openai")
    assert status == 200, answer
    status, answer = db_gateway.chat(batch, "chat-anthropic")  # not among the platform team's models
    assert status in (400, 401, 403), answer
    status, answer = db_gateway.call("/team/new", {"team_id": "intruder"}, batch)
    assert status in (401, 403), answer
    status, answer = db_gateway.call("/key/generate", {"team_id": "platform"}, batch)
    assert status in (401, 403), answer

    with AdminApi(db_gateway.url, MASTER_KEY) as api:  # an operator blocks the eval key: the next run replaces it
        api.block_key(stored["platform-eval"])
    third = run_job(db_gateway, desired, tmp_path / "third", moto_endpoint)
    assert third["keys"] == {"keep": 2, "issue": 0, "replace": 1}
    renewed = client.get_secret_value(SecretId=keys[1].secret_id)["SecretString"]
    assert renewed != stored["platform-eval"]
    assert db_gateway.chat(renewed, "chat-openai")[0] == 200
    assert db_gateway.chat(stored["platform-eval"], "chat-openai")[0] in (400, 401, 403)
