"""`check --contracts`: every apply-time contract of the registry over the planned graph, in process (the session's
graphs, no subprocess per preset): clean for every preset x environment, a broken graph fails with the resource,
the AWS rule and the fix and exit 1, the JSON shape, and `plan` shows the contract summary beside the policies."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from blueprints import cli
from blueprints.catalog.aws_prices import PRICES_AS_OF
from blueprints.commands import _contracts
from blueprints.contracts.findings import Finding
from blueprints.contracts.images import TASK_DEFINITION_TYPE
from blueprints.contracts.kms import KEY_TYPE
from blueprints.contracts.registry import CONTRACTS
from blueprints.engine import program
from blueprints.engine.graph import ResourceGraph
from blueprints.presets import load_spec
from tests.conftest import PRESET_ENVS

KARPENTER_ROLE = "role/reg-prod-euc1-karpenter"


def _results(graph: ResourceGraph, preset: str, env: str) -> _contracts.Results:
    return _contracts.evaluate(graph, load_spec(preset, env), env, PRICES_AS_OF)


def _run(monkeypatch: pytest.MonkeyPatch, graph: ResourceGraph, *argv: str) -> int:
    """The real CLI entry, with the program's graph replaced by `graph` (already built by the session fixture)."""
    monkeypatch.setattr(program, "build_graph", lambda *args, **kwargs: graph)
    return cli.main(["check", "--contracts", *argv])


OPEN_IMAGE_FINDINGS = {
    "pre-release tag '1.3.0rc24-2'": "trtllm-serve is built on TensorRT-LLM 1.3.0rc24: the newest release, 1.2.1, "
    "exports none of the queue and KV-cache gauges KEDA, the alerts and the endpoint picker read "
    "(tests/test_versions.py KNOWN_PRERELEASE says where that was read): issue 16.10 open",
    "litellm:v1.81.16-stable is not pinned by digest": "no public source publishes the digest of "
    "ghcr.io/berriai/litellm:v1.81.16-stable and this machine reaches no container registry; a deployer pins it "
    "with `python -m blueprints images pin --stack <stack>` (tests/commands/test_images_pin.py), which the "
    "finding's fix names",
}
"""Findings of the image-tags contract that are still open, each with why: `check --contracts` reports them (exit 1)
on the presets that run these images; this list may only shrink."""


def _open(finding: Finding) -> bool:
    return finding.check == "image-tags" and any(known in finding.problem for known in OPEN_IMAGE_FINDINGS)


@pytest.mark.parametrize(("preset", "env"), PRESET_ENVS)
def test_every_preset_passes_every_contract(graph_of: Callable[[str, str], ResourceGraph], preset: str,
                                            env: str) -> None:
    results = _results(graph_of(preset, env), preset, env)
    assert list(results) == [contract.rule.id for contract in CONTRACTS]
    assert {check: [f"{f.resource}: {f.problem}" for f in findings if not _open(f)]
            for check, findings in results.items() if any(not _open(f) for f in findings)} == {}


def _without_karpenter_on_cluster_key(graph: ResourceGraph) -> ResourceGraph:
    """The defect of issue 16.1: the cluster key's policy no longer lets Karpenter's controller launch nodes."""
    copy = graph.model_copy(deep=True)
    key = next(r for r in copy.resources if r.type == KEY_TYPE and r.name == "reg-prod-euc1-kms-cluster")
    policy = json.loads(key.inputs["policy"])
    kept = [s for s in policy["Statement"] if KARPENTER_ROLE not in json.dumps(s)]
    assert len(kept) < len(policy["Statement"])
    key.inputs["policy"] = json.dumps({**policy, "Statement": kept})
    return copy


def test_a_key_policy_without_karpenter_fails_with_rule_and_fix(graph_of, monkeypatch, capsys) -> None:
    broken = _without_karpenter_on_cluster_key(graph_of("regulated-industry", "prod"))
    assert _run(monkeypatch, broken, "--preset", "regulated-industry", "--env", "prod") == 1
    out = capsys.readouterr().out
    assert "kms-key-users" in out and "reg-prod-euc1-kms-cluster" in out and KARPENTER_ROLE in out
    assert "rule: Every principal that encrypts or decrypts with a customer managed key" in out
    assert "https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html" in out
    assert "fix: allow the principal in the key's policy" in out


def _with_image(graph: ResourceGraph, image: str) -> ResourceGraph:
    """The gateway's container (startup-mvp: an ECS task on Fargate) runs `image`."""
    copy = graph.model_copy(deep=True)
    task = next(r for r in copy.resources if r.type == TASK_DEFINITION_TYPE)
    containers = json.loads(task.inputs["containerDefinitions"])
    containers[0]["image"] = image
    task.inputs["containerDefinitions"] = json.dumps(containers)
    return copy


def test_a_release_candidate_tag_fails_in_json(graph_of, monkeypatch, capsys) -> None:
    broken = _with_image(graph_of("startup-mvp", "dev"), "ghcr.io/berriai/litellm:v1.82.0-rc1")
    assert _run(monkeypatch, broken, "--preset", "startup-mvp", "--env", "dev", "--format", "json") == 1
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"preset", "environment", "passed", "summary", "findings"}
    assert report["passed"] is False and report["summary"]["image-tags"] == 1
    assert set(report["summary"]) == {contract.rule.id for contract in CONTRACTS}
    [finding] = report["findings"]
    assert set(finding) == {"check", "resource", "problem", "rule", "doc", "fix"}
    assert finding["check"] == "image-tags"
    assert finding["resource"] == (f"mvp-dev-use1-gateway ({TASK_DEFINITION_TYPE}) "
                                   "containerDefinitions[0].image")
    assert "pre-release tag 'v1.82.0-rc1'" in finding["problem"]
    assert finding["doc"] == "https://kubernetes.io/docs/concepts/containers/images/#image-names"


def test_prod_images_need_a_digest_or_an_immutable_repository(graph_of) -> None:
    from blueprints.contracts.images import image_problems

    graph = graph_of("startup-mvp", "dev")
    digest = "ghcr.io/berriai/litellm:v1.81.16-stable@sha256:" + "0" * 64
    assert image_problems(_with_image(graph, digest), prod=True) == []
    tag_only = image_problems(_with_image(graph, "ghcr.io/berriai/litellm:v1.81.16-stable"), prod=True)
    assert [p for p in tag_only if "not pinned by digest; fix: run `python -m blueprints images pin --stack <stack>`"
            in p]
    assert image_problems(_with_image(graph, "ghcr.io/berriai/litellm:v1.81.16-stable"), prod=False) == []


def test_a_clean_graph_exits_0_in_markdown(graph_of, monkeypatch, capsys) -> None:
    assert _run(monkeypatch, graph_of("saas", "dev"), "--preset", "saas", "--env", "dev", "--format", "md") == 0
    out = capsys.readouterr().out
    assert out.startswith("# Apply-time contracts: saas (dev)")
    assert f"all {len(CONTRACTS)} contracts pass" in out


@pytest.mark.parametrize("flags", [["--format", "sarif"], ["--pack", "baseline"]])
def test_policy_pack_options_are_refused_with_contracts(graph_of, monkeypatch, capsys, flags) -> None:
    assert _run(monkeypatch, graph_of("saas", "dev"), "--preset", "saas", *flags) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: --contracts: ")


@pytest.mark.parametrize("fmt", ["text", "md", "json"])
def test_plan_shows_the_contract_summary_beside_the_policy_summary(graph_of, monkeypatch, capsys, fmt) -> None:
    broken = _with_image(graph_of("startup-mvp", "dev"), "ghcr.io/berriai/litellm:v1.82.0-rc1")
    monkeypatch.setattr(program, "build_graph", lambda *args, **kwargs: broken)
    assert cli.main(["plan", "--preset", "startup-mvp", "--env", "dev", "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        plan = json.loads(out)
        assert "policy" in plan and plan["contracts"]["image-tags"] == 1
        assert plan["contracts"]["kms-key-users"] == 0
    else:
        policy, contracts = out.index("Policy summary"), out.index("Contract summary")
        assert policy < contracts
        assert "  image-tags: 1 failure(s)" in out[contracts:] and "  kms-key-users: pass" in out[contracts:]
