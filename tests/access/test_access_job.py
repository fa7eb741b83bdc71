"""The key reconciler Job as the presets plan it: ConfigMap, NetworkPolicy, ServiceAccount and Job valid against
Kubernetes' own schemas (strict), the master key taken from the Secret the gateway itself reads, named after the
desired state, and its mounted modules self-sufficient on the gateway image's Python (LiteLLM 1.81.16's interpreter
and libraries, nothing of this repository but the mounted files)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from blueprints.access.manifests import NAME, WORKLOAD_TEAM, access_manifests
from blueprints.access.reconcile import GATEWAY_URL_ENV, MASTER_KEY_ENV
from blueprints.engine.graph import ResourceGraph
from blueprints.gateway.manifests import NAMESPACE
from blueprints.presets import load_spec
from blueprints.render import kubernetes_object
from tests.access.conftest import mount_job_files
from tests.support.litellm_proxy import LITELLM
from tests.support.net import free_port
from tests.support.schemas import validate_manifest

PRESETS_WITH_TEAMS = ["enterprise-assistant", "internal-ai", "regulated-industry"]


def namespace_objects(graph: ResourceGraph) -> list[dict]:
    return [kubernetes_object(r) for r in graph.resources if r.type.startswith("kubernetes:")
            and r.inputs.get("metadata", {}).get("namespace") == NAMESPACE]


@pytest.mark.parametrize("preset", PRESETS_WITH_TEAMS)
def test_the_planned_job_is_valid_and_carries_the_spec_teams(graph_of, preset: str) -> None:  # type: ignore[no-untyped-def]
    found = namespace_objects(graph_of(preset, "prod"))
    access = [o for o in found if o["metadata"]["name"].startswith(NAME)]
    spec = load_spec(preset, "prod")
    assert sorted(o["kind"] for o in access) == sorted(
        ["ConfigMap", "Job", "NetworkPolicy", "ServiceAccount"] * len(spec.regions))
    for manifest in access:
        assert validate_manifest(manifest) == [], manifest["metadata"]["name"]
    config = next(o for o in access if o["kind"] == "ConfigMap")  # one per region, all alike
    job = next(o for o in access if o["kind"] == "Job")
    assert job["metadata"]["name"] == config["metadata"]["name"]
    declared = [team.model_dump(mode="json") for team in spec.access.teams]
    desired = json.loads(config["data"]["teams.json"])
    assert desired["teams"] == declared
    # The platform workloads' keys go to their secrets (the names Pulumi gives them; see tests/contracts).
    assert desired.get("workload_team", {}).get("name") in (None, WORKLOAD_TEAM.name)
    assert all(key["secret_id"].endswith("/gateway-key-" + key["alias"].removeprefix("platform-"))
               for key in desired.get("workload_keys", []))
    # The master key comes from the very Secret and key the gateway's own container reads it from.
    gateway = next(o for o in found if o["kind"] == "Deployment")
    gateway_refs = [env["valueFrom"]["secretKeyRef"] for container in gateway["spec"]["template"]["spec"]["containers"]
                    for env in container["env"] if env["name"] == MASTER_KEY_ENV]
    [container] = job["spec"]["template"]["spec"]["containers"]
    job_refs = [env["valueFrom"]["secretKeyRef"] for env in container["env"] if env["name"] == MASTER_KEY_ENV]
    assert job_refs == gateway_refs and job_refs
    assert container["image"] == gateway["spec"]["template"]["spec"]["containers"][0]["image"]


def test_presets_without_teams_run_the_job_for_their_workloads_keys(graph_of) -> None:  # type: ignore[no-untyped-def]
    assert load_spec("saas", "prod").access.teams == []
    config = next(o for o in namespace_objects(graph_of("saas", "prod"))  # one per region, all alike
                  if o["metadata"]["name"].startswith(NAME) and o["kind"] == "ConfigMap")
    desired = json.loads(config["data"]["teams.json"])
    assert desired["teams"] == [] and desired["workload_team"]["name"] == WORKLOAD_TEAM.name
    assert {key["alias"] for key in desired["workload_keys"]} >= {"platform-batch"}


def test_the_job_is_named_after_the_desired_state() -> None:
    def job_name(budget: float) -> str:
        spec = load_spec("enterprise-assistant", "prod", overrides={"access": {"teams": [
            {"name": "support", "models": ["assistant"], "max_budget_usd": budget}]}})
        return access_manifests(spec, "us-east-1")[3]["metadata"]["name"]

    assert job_name(100) == job_name(100)
    assert job_name(100) != job_name(200)


def test_the_mounted_modules_run_on_the_gateway_python_alone(tmp_path: Path) -> None:
    """No module of the repository but the mounted ones is importable (cwd and PYTHONPATH are the mount): the run
    gets as far as calling the gateway, which is closed here, and fails with one line."""
    if not LITELLM.exists():
        pytest.skip("LiteLLM missing: make .venv-litellm")
    container = mount_job_files(access_manifests(load_spec("internal-ai", "prod"), "us-east-1"), tmp_path)
    env = {item["name"]: item.get("value", "") for item in container["env"]}
    env.update({GATEWAY_URL_ENV: f"http://127.0.0.1:{free_port()}", MASTER_KEY_ENV: "sk-any"})
    command = [str(LITELLM.parent / "python"), *container["command"][1:]]
    result = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: gateway http://127.0.0.1:") and "unreachable" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
