"""`render` writes every artifact, and what it writes passes the tools that consume it."""

from __future__ import annotations

import json

import pytest
import yaml

from blueprints.cli import main
from blueprints.render import artifacts
from tests.conftest import PRESET_ENVS
from tests.support.schemas import validate_manifest


@pytest.mark.parametrize(("preset", "env"), PRESET_ENVS)
def test_rendered_kubernetes_manifests_validate(graph_of, preset, env):
    files = artifacts(graph_of(preset, env))
    manifests = [yaml.safe_load(content) for artifact, content in files.values()
                 if artifact.kind == "kubernetes-manifest"]
    problems = [problem for manifest in manifests for problem in validate_manifest(manifest)]
    assert problems == []


def test_karpenter_resources_validate_against_upstream_crds(graph_of):
    files = artifacts(graph_of("regulated-industry", "prod"))
    kinds = [yaml.safe_load(content)["kind"] for artifact, content in files.values()
             if artifact.kind == "kubernetes-manifest"]
    assert {"NodePool", "EC2NodeClass"} <= set(kinds)


def test_invalid_nodepool_is_caught_by_the_crd_schema():
    bad = {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "x"},
           "spec": {"template": {"spec": {"requirements": []}}}}
    assert any("nodeClassRef" in problem for problem in validate_manifest(bad))


def test_render_writes_files_and_an_index(tmp_path, capsys):
    assert main(["render", "--preset", "internal-ai", "--env", "prod", "--out", str(tmp_path)]) == 0
    index = json.loads((tmp_path / "index.json").read_text())
    kinds = {entry["kind"] for entry in index["files"]}
    assert {"kubernetes-manifest", "helm-values", "aws-resource"} <= kinds
    for entry in index["files"]:
        assert (tmp_path / entry["path"]).is_file()
    cluster = json.loads(next((tmp_path / "aws/us-east-1/eks").glob("corp-prod-use1-eks.json")).read_text())
    assert cluster["inputs"]["vpcConfig"]["endpointPublicAccess"] is False
    assert "wrote" in capsys.readouterr().err
