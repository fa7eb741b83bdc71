"""runtime `fargate` (startup-mvp): the gateway as an ECS Fargate service, no cluster. The task definition is
checked against ECS RegisterTaskDefinition's own input shape (botocore's service model) and registered in moto's
ECS, the roles go through parliament, and the pinned LiteLLM starts from the container's own start script."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import boto3
import botocore.session
import pytest
import yaml
from botocore.validate import ParamValidator
from moto import mock_aws

from blueprints.cli import main
from blueprints.commands.check import check_graph
from blueprints.contracts.parliament_lint import parliament_problems
from blueprints.engine.graph import ResourceGraph
from blueprints.errors import SpecError
from blueprints.gateway.fargate import CONFIG_ENV_LABEL, FILES_DIR, container_definition
from blueprints.gateway.litellm_config import MASTER_KEY_ENV
from blueprints.gateway.manifests import PORT
from blueprints.presets import load_spec
from tests.support.litellm_proxy import LITELLM, MASTER_KEY, START_TIMEOUT_S, stop, wait_for
from tests.support.net import free_port

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def only(graph: ResourceGraph, token: str) -> Any:
    found = [r for r in graph.resources if r.type == token]
    assert len(found) == 1, f"{token}: {len(found)}"
    return found[0]


def register_params(graph: ResourceGraph) -> dict[str, Any]:
    """RegisterTaskDefinition's parameters as the planned resource passes them (pulumi-aws names inputs after the
    API's members; containerDefinitions is the API's JSON list)."""
    task = only(graph, TASK_DEFINITION).inputs
    params = {key: value for key, value in task.items() if key != "containerDefinitions"}
    return {**params, "containerDefinitions": json.loads(task["containerDefinitions"])}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_mvp_runs_no_cluster_and_stays_small(graph_of, env: str) -> None:
    graph = graph_of("startup-mvp", env)
    types = {r.type for r in graph.resources}
    assert not {t for t in types if t.startswith(("aws:eks/", "kubernetes:", "aws:elasticache/"))}
    assert len([r for r in graph.resources if r.type == "aws:ec2/natGateway:NatGateway"]) == 1
    assert len([r for r in graph.resources if r.custom]) <= 40
    service = only(graph, "aws:ecs/service:Service").inputs
    assert service["desiredCount"] == load_spec("startup-mvp", env).gateway.replicas
    assert service["loadBalancers"][0]["containerPort"] == PORT
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    # Behind the ALB only: private subnets, no public address (the ecs-tasks-hardened policy's rule).
    private = {r.outputs["id"] for r in graph.resources if r.type == "aws:ec2/subnet:Subnet"
               and r.inputs["tags"]["blueprints.io/tier"] == "private"}
    assert service["networkConfiguration"]["assignPublicIp"] is False
    assert set(service["networkConfiguration"]["subnets"]) == private and len(private) == 2


def test_the_task_definition_has_the_shape_ecs_registers(graph_of) -> None:
    params = register_params(graph_of("startup-mvp", "prod"))
    shape = botocore.session.get_session().get_service_model("ecs").operation_model(
        "RegisterTaskDefinition").input_shape
    report = ParamValidator().validate(params, shape)
    assert not report.has_errors(), report.generate_report()
    with mock_aws():
        registered = boto3.client("ecs", region_name="us-east-1").register_task_definition(**params)
    container = registered["taskDefinition"]["containerDefinitions"][0]
    assert container["readonlyRootFilesystem"] is True
    assert container["secrets"][0]["name"] == MASTER_KEY_ENV
    assert container["logConfiguration"]["logDriver"] == "awslogs"


def test_no_credential_travels_in_plain_environment(graph_of) -> None:
    container = register_params(graph_of("startup-mvp", "prod"))["containerDefinitions"][0]
    plain = {entry["name"] for entry in container["environment"]}
    assert MASTER_KEY_ENV not in plain
    assert container["secrets"][0]["valueFrom"].startswith("arn:aws:secretsmanager:")
    version = only(graph_of("startup-mvp", "prod"), "aws:secretsmanager/secretVersion:SecretVersion").inputs
    assert "secretString" not in version and version["secretStringWo"] == "[secret]"


def test_the_roles_pass_parliament(graph_of) -> None:
    assert parliament_problems(graph_of("startup-mvp", "prod")) == []


def test_a_self_hosted_model_without_a_cluster_is_refused_by_name() -> None:
    with pytest.raises(SpecError) as refused:
        load_spec("enterprise-assistant", "dev", {"runtime": "fargate"})
    assert ("preset enterprise-assistant: serving.models[0].hosting: 'self-hosted' model 'assistant' needs the EKS "
            "cluster, which runtime 'fargate' does not create (allowed: bedrock; or runtime: eks)"
            in str(refused.value).splitlines())


def test_the_cli_refuses_a_fargate_misfit_in_one_line(capsys) -> None:
    assert main(["plan", "--preset", "startup-mvp", "--env", "prod", "--set", "gateway.cpu=2"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: overrides.gateway.cpu: 2 with runtime 'fargate' (allowed: 1; a task runs one "
        "LiteLLM worker and the gateway scales by gateway.replicas)"]


def test_litellm_starts_from_the_task_start_script(tmp_path: Path) -> None:
    """The container's own shell script (with the test's folder, loopback address and port) writes the generated
    files and starts the pinned proxy, which then serves the hosted models."""
    spec = load_spec("startup-mvp", "prod")
    container = container_definition(spec, "us-east-1", log_group="unused", master_key_arn="unused")
    port = free_port()
    script = (container["command"][0].replace(FILES_DIR, str(tmp_path / "litellm"))
              .replace("--host 0.0.0.0", "--host 127.0.0.1").replace(f"--port {PORT}", f"--port {port}"))
    env = {**os.environ, **{e["name"]: e["value"] for e in container["environment"]}, "HOME": str(tmp_path),
           MASTER_KEY_ENV: MASTER_KEY, "PATH": f"{LITELLM.parent}:{os.environ['PATH']}", "LITELLM_LOG": "ERROR",
           "NO_PROXY": "127.0.0.1,localhost"}
    env.pop("DATABASE_URL", None)
    with (tmp_path / "litellm.log").open("w") as log:
        process = subprocess.Popen([*container["entryPoint"], script], cwd=tmp_path, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/health/liveliness", START_TIMEOUT_S, process)
        request = Request(f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": f"Bearer {MASTER_KEY}"})
        with urlopen(request, timeout=10) as response:
            served = {model["id"] for model in json.load(response)["data"]}
    finally:
        stop(process)
    assert {model.name for model in spec.serving.models} <= served


def _mandatory(graph: ResourceGraph, pack: str) -> list[str]:
    return [f"{violation.policy}: {violation.urn}" for result in check_graph(graph, [pack])
            for violation in result.violations if violation.level == "mandatory"]


def test_the_baseline_pack_reads_the_gateway_config_in_the_task_definition(graph_of) -> None:
    """The gateway policies judge the Fargate task's config.yaml: clean as planned; an inline master key fails."""
    graph = graph_of("startup-mvp", "prod")
    assert _mandatory(graph, "baseline") == []
    broken = graph.model_copy(deep=True)
    task = next(r for r in broken.resources if r.type == TASK_DEFINITION)
    containers = json.loads(task.inputs["containerDefinitions"])
    environment = {e["name"]: e for e in containers[0]["environment"]}
    variable = containers[0]["dockerLabels"][CONFIG_ENV_LABEL]
    config = yaml.safe_load(environment[variable]["value"])
    config["general_settings"]["master_key"] = "sk-inline-key"
    environment[variable]["value"] = yaml.safe_dump(config)
    task.inputs["containerDefinitions"] = json.dumps(containers)
    assert _mandatory(broken, "baseline") == [f"gateway-auth: {task.urn}"]
