"""The PromptTemplates component: one KMS-encrypted SSM parameter per prompt version, the running versions'
prompts as `prompt-template` artifacts, and a rollback that renders exactly what was there before."""

from __future__ import annotations

import json
from typing import Any

import pytest

from blueprints.engine.graph import ResourceGraph
from blueprints.engine.program import build_graph
from blueprints.render import artifacts
from tests.conftest import GraphOf

OLD, NEW = "2026-10-01", "2026-11-01"
STAGES: dict[str, dict[str, Any]] = {
    "before": {"stable": OLD, "candidate": None, "candidate_weight": 0},
    "canary": {"stable": OLD, "candidate": NEW, "candidate_weight": 10},
    "rolled-back": {"stable": OLD, "candidate": None, "candidate_weight": 0},
}


@pytest.fixture(scope="module")
def graphs() -> dict[str, ResourceGraph]:
    return {stage: build_graph("internal-ai", "prod", overrides={"serving": {"models": [{}, {"versions": versions}]}})
            for stage, versions in STAGES.items()}


def prompt_artifacts(graph: ResourceGraph) -> dict[str, str]:
    return {path: content for path, (artifact, content) in artifacts(graph).items()
            if artifact.kind == "prompt-template" or "/ssm/" in path}


def test_every_prompt_version_is_a_kms_encrypted_secure_string(graphs: dict[str, ResourceGraph]) -> None:
    graph = graphs["canary"]
    parameters = {r.inputs["name"]: r.inputs for r in graph.resources if r.type == "aws:ssm/parameter:Parameter"}
    assert set(parameters) == {"/corp-prod-use1/prompts/corp-small/v1", "/corp-prod-use1/prompts/corp-small/v2"}
    [artifacts_key] = [r.outputs["arn"] for r in graph.resources
                       if r.type == "aws:kms/key:Key" and r.name.endswith("kms-artifacts")]
    for parameter in parameters.values():
        assert parameter["type"] == "SecureString" and parameter["keyId"] == artifacts_key
        assert parameter["tier"] == "Intelligent-Tiering"


def test_the_running_versions_prompts_are_rendered_as_artifacts(graphs: dict[str, ResourceGraph]) -> None:
    rendered = {path.rsplit("/", 1)[-1]: json.loads(content)
                for path, content in prompt_artifacts(graphs["canary"]).items() if "/prompt-template/" in path}
    assert set(rendered) == {f"corp-small@{OLD}.json", f"corp-small@{NEW}.json"}
    assert rendered[f"corp-small@{NEW}.json"]["prompt_version"] == "v2"
    [config_map] = [r for r in graphs["canary"].resources if r.type == "kubernetes:core/v1:ConfigMap"
                    and r.inputs["metadata"]["name"] == "prompt-templates"]
    assert config_map.inputs["metadata"]["namespace"] == "gateway"


def test_a_rollback_renders_exactly_what_ran_before(graphs: dict[str, ResourceGraph]) -> None:
    before, canary, back = (prompt_artifacts(graphs[stage]) for stage in ("before", "canary", "rolled-back"))
    assert back == before
    assert canary != before


def test_presets_without_templates_have_no_prompt_config_map(graph_of: GraphOf) -> None:
    graph = graph_of("saas", "dev")
    assert [r for r in graph.resources if r.type == "blueprints:prompts:PromptTemplates"]
    assert not [r for r in graph.resources if r.type in ("aws:ssm/parameter:Parameter",)
                or (r.type == "kubernetes:core/v1:ConfigMap" and r.inputs["metadata"]["name"] == "prompt-templates")]
