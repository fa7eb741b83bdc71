"""`render` writes every artifact, and what it writes passes the tools that consume it."""

from __future__ import annotations

import json

import pytest
import yaml

from blueprints.cli import main
from blueprints.render import artifacts, check_output_folder, write_artifacts
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
    cluster = json.loads((tmp_path / "aws/us-east-1/eks/Cluster-corp-prod-use1-eks.json").read_text())
    assert cluster["inputs"]["vpcConfig"]["endpointPublicAccess"] is False
    assert "wrote" in capsys.readouterr().err


@pytest.mark.parametrize(("preset", "env"), PRESET_ENVS)
def test_render_writes_every_resource_of_the_graph_to_its_own_path(graph_of, preset, env, tmp_path):
    graph = graph_of(preset, env)
    write_artifacts(graph, tmp_path)
    index = json.loads((tmp_path / "index.json").read_text())
    paths = [entry["path"] for entry in index["files"]]
    assert len(paths) == len(set(paths)), "two artifacts share a path"
    on_disk = {str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file()}
    assert on_disk == {*paths, "index.json"}
    resources = {record.urn for record in graph.resources if record.custom}
    assert {entry["urn"] for entry in index["files"]} == resources
    assert set(index["resources"]) == resources
    assert all((tmp_path / path).is_file() for path in index["resources"].values())


@pytest.mark.parametrize("out", ["", " ", "."])
def test_render_refuses_an_output_folder_that_is_not_its_own(out, tmp_path, monkeypatch, capsys):
    (tmp_path / "notes.txt").write_text("a user's file\n")
    monkeypatch.chdir(tmp_path)
    assert main(["render", "--preset", "internal-ai", "--env", "prod", "--out", out]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: --out") and len(error.splitlines()) == 1
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


def test_render_replaces_its_own_previous_output(graph_of, tmp_path):
    graph = graph_of("startup-mvp", "dev")
    write_artifacts(graph, tmp_path)
    stale = tmp_path / "aws" / "stale.json"
    stale.write_text("{}\n")
    index = json.loads((tmp_path / "index.json").read_text())
    index["files"].append({"path": "aws/stale.json", "kind": "aws-resource", "region": None, "urn": "urn:gone"})
    (tmp_path / "index.json").write_text(json.dumps(index))
    assert check_output_folder(str(tmp_path)) == tmp_path
    write_artifacts(graph, tmp_path)
    assert not stale.exists()
    assert len(json.loads((tmp_path / "index.json").read_text())["files"]) == len(index["files"]) - 1
