"""The release gate in internal-ai's graph (corp-small has a candidate): the Job, its golden set, identity and key,
each object valid against Kubernetes' schemas, the Job's arguments accepted by the image's own command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from blueprints.engine.graph import ResourceGraph
from blueprints.evaluation import cli, golden
from blueprints.evaluation.manifests import KEY_ENV, KEY_SECRET, NAMESPACE, gates
from blueprints.presets import load_spec
from blueprints.render import kubernetes_object
from tests.support.schemas import validate_manifest


@pytest.fixture(scope="module")
def graph(graph_of) -> ResourceGraph:  # type: ignore[no-untyped-def]
    return graph_of("internal-ai", "prod")


def objects(graph: ResourceGraph) -> list[dict]:
    return [kubernetes_object(r) for r in graph.resources if r.type.startswith("kubernetes:")
            and (r.inputs.get("metadata", {}).get("namespace") == NAMESPACE
                 or r.inputs.get("metadata", {}).get("name") == NAMESPACE)]


def test_every_object_validates(graph: ResourceGraph) -> None:
    found = objects(graph)
    kinds = sorted(o["kind"] for o in found)
    assert kinds == ["ConfigMap", "ExternalSecret", "Job", "Namespace", "NetworkPolicy", "ServiceAccount"]
    for manifest in found:
        assert validate_manifest(manifest) == [], manifest["metadata"]["name"]


def test_the_job_gates_the_candidate_with_arguments_the_image_accepts(graph: ResourceGraph, tmp_path: Path) -> None:
    [job] = [o for o in objects(graph) if o["kind"] == "Job"]
    assert job["metadata"]["name"] == "eval-corp-small-2026-11-01"
    pod = job["spec"]["template"]["spec"]
    [container] = pod["containers"]
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    args = parser.parse_args(container["args"])
    assert (args.action, args.model, args.stable, args.candidate) == ("gate", "corp-small", "2026-10-01",
                                                                       "2026-11-01")
    assert args.endpoint == "http://litellm.gateway.svc.cluster.local:4000/v1"
    assert args.out.startswith("s3://") and args.out.endswith("/evals/corp-small/2026-11-01")
    assert args.api_key_env == KEY_ENV
    assert container["env"][0]["valueFrom"]["secretKeyRef"]["name"] == KEY_SECRET
    # The golden set the Job reads is the ConfigMap mounted at --golden, byte for byte the starter set.
    [config_map] = [o for o in objects(graph) if o["kind"] == "ConfigMap"]
    [volume] = [v for v in pod["volumes"] if "configMap" in v]
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    [(file_name, content)] = config_map["data"].items()
    assert args.golden.endswith(f"/{file_name}")
    (tmp_path / file_name).write_text(content)
    assert golden.load(tmp_path / file_name).version == golden.load("assistant").version


def test_the_job_may_only_write_verdicts_and_uploads_the_golden_set(graph: ResourceGraph) -> None:
    [role_policy] = [r for r in graph.resources if r.type == "aws:iam/rolePolicy:RolePolicy"
                     and "eval-runner" in r.name]
    statements = json.loads(role_policy.inputs["policy"])["Statement"]
    assert [(s["Action"], [r.split(":::")[-1].split("/", 1)[-1] for r in s["Resource"]]) for s in statements] == [
        (["s3:GetObject", "s3:PutObject"], ["evals/*"])]
    [upload] = [r for r in graph.resources if r.type == "aws:s3/bucketObjectv2:BucketObjectv2"
                and r.inputs["key"].startswith("golden/")]
    assert upload.inputs["key"].startswith("golden/assistant/")


def test_no_candidate_no_job() -> None:
    assert gates(load_spec("saas", "prod")) == []
    stable_only = load_spec("internal-ai", "prod", overrides={"serving": {"models": [
        {}, {"versions": {"stable": "2026-11-01", "candidate": None, "candidate_weight": 0}}]}})
    assert gates(stable_only) == []


def test_a_gate_without_external_secrets_is_refused_naming_the_path() -> None:
    from blueprints.errors import SpecError

    with pytest.raises(SpecError) as error:
        load_spec("internal-ai", "prod", overrides={"secrets": {"external_secrets": False},
                                                    "retrieval": {"enabled": False}})
    assert ("overrides.secrets.external_secrets: false leaves the evaluation gate of 'corp-small' without the "
            "gateway key") in str(error.value)
    with pytest.raises(SpecError, match=r"evaluation\.golden\.nope: not a self-hosted model"):
        load_spec("internal-ai", "prod", overrides={"evaluation": {"golden": {"nope": "x"}}})
