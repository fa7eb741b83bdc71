import pytest
from blueprints_policies import evaluate, suppressions
from blueprints_policies.packs import Pack, PackEntry
from blueprints_policies.suppressions import Suppression, Suppressions
from pydantic import ValidationError

from .helpers import graph, record

PACK = Pack(name="t", description="t", entries=(PackEntry(policy="k8s-capabilities-restricted",
                                                          enforcement="mandatory"),))
REASON = "EFA networking needs SYS_RESOURCE for the libfabric provider on p5 nodes"


def _deployment(parent=None):
    spec = {"template": {"spec": {"containers": [{"name": "efa", "image": "x:1", "securityContext": {
        "capabilities": {"drop": ["ALL"], "add": ["SYS_RESOURCE"]}}}]}}}
    return record("kubernetes:apps/v1:Deployment", "llama-server", {"metadata": {"namespace": "models"},
                                                                      "spec": spec}, parent=parent)


def test_reason_and_scope_are_required() -> None:
    with pytest.raises(ValidationError, match="reason"):
        Suppression(policy_id="p", reason="", name="x")
    with pytest.raises(ValidationError, match="needs a scope"):
        Suppression(policy_id="p", reason=REASON)


def test_children_inherit_a_suppression_on_their_component() -> None:
    component = record("blueprints:serving:ModelDeployment", "llama")
    child = _deployment(parent=component)
    rules = Suppressions([Suppression(policy_id="k8s-capabilities-restricted", reason=REASON, name="llama")])
    result = evaluate.evaluate_pack(graph(component, child), PACK, suppressions=rules)
    assert result.violations == []
    assert [(s.policy, s.urn, s.reason) for s in result.suppressed] == [
        ("k8s-capabilities-restricted", child.urn, REASON)]


def test_suppression_is_scoped_to_its_policy_and_resource() -> None:
    rules = Suppressions([
        Suppression(policy_id="k8s-no-privileged", reason=REASON, name="*"),
        Suppression(policy_id="k8s-capabilities-restricted", reason=REASON, urn="*ModelDeployment*"),
    ])
    result = evaluate.evaluate_pack(graph(_deployment()), PACK, suppressions=rules)
    assert [v.policy for v in result.violations] == ["k8s-capabilities-restricted"]


def test_project_suppression_file_loads(tmp_path) -> None:
    assert isinstance(suppressions.load(), Suppressions)
    path = tmp_path / "s.yaml"
    path.write_text(f"- policy_id: k8s-probes\n  reason: {REASON}\n  name: warmup-*\n")
    loaded = suppressions.load(path)
    assert loaded.find("k8s-probes", "urn:pulumi:s::p::kubernetes:batch/v1:Job::warmup-1") is not None
    assert suppressions.load(tmp_path / "missing.yaml").items == ()
