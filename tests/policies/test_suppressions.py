from datetime import date

import pytest
from blueprints_policies import evaluate, suppressions
from blueprints_policies.packs import Pack, PackEntry
from blueprints_policies.suppressions import Suppression, SuppressionError, Suppressions

from .helpers import graph, record

PACK = Pack(name="t", description="t", entries=(
    PackEntry(policy="stack-context-valid", enforcement="mandatory"),
    PackEntry(policy="k8s-capabilities-restricted", enforcement="mandatory")))
REASON = "EFA networking needs SYS_RESOURCE for the libfabric provider on p5 nodes"
TODAY = date(2026, 12, 4)
FIELDS = {"approver": "platform-security", "reason": REASON, "ticket": "SEC-1042", "expires": "2027-03-01"}


def _deployment(name: str = "llama-server", parent=None):
    spec = {"template": {"spec": {"containers": [{"name": "efa", "image": "x:1", "securityContext": {
        "capabilities": {"drop": ["ALL"], "add": ["SYS_RESOURCE"]}}}]}}}
    return record("kubernetes:apps/v1:Deployment", name, {"metadata": {"namespace": "models"}, "spec": spec},
                  parent=parent)


def _rules(*urns: str, expires: str = "2027-03-01") -> Suppressions:
    item = Suppression(policy_id="k8s-capabilities-restricted", urns=urns, **{**FIELDS, "expires": expires})
    return Suppressions([item], on=TODAY)


def _run(rules: Suppressions, *records):
    return evaluate.evaluate_pack(graph(*records, environment="prod"), PACK, suppressions=rules)


def test_exact_urn_suppresses_only_that_resource() -> None:
    component = record("blueprints:serving:ModelDeployment", "llama")
    child, other = _deployment(parent=component), _deployment("mistral-server")
    suppressed = _deployment("qwen-server")
    result = _run(_rules(component.urn, suppressed.urn), component, child, other, suppressed)
    assert sorted(v.urn for v in result.violations) == sorted([child.urn, other.urn])
    assert [(s.policy, s.urn, s.reason) for s in result.suppressed] == [
        ("k8s-capabilities-restricted", suppressed.urn, REASON)]


def test_expired_suppression_suppresses_nothing_and_is_a_mandatory_violation() -> None:
    deployment = _deployment()
    result = _run(_rules(deployment.urn, expires="2026-12-03"), deployment)
    assert result.suppressed == []
    by_policy = {v.policy: v for v in result.violations}
    assert by_policy["k8s-capabilities-restricted"].urn == deployment.urn
    assert "expired on 2026-12-03" in by_policy["k8s-capabilities-restricted"].message
    expiry = by_policy["stack-context-valid"]
    assert expiry.level == "mandatory"
    assert expiry.message.startswith("suppression of k8s-capabilities-restricted (approver platform-security, ticket "
                                     "SEC-1042) expired on 2026-12-03")


def test_suppression_in_force_on_its_last_day() -> None:
    deployment = _deployment()
    result = _run(_rules(deployment.urn, expires="2026-12-04"), deployment)
    assert result.violations == [] and len(result.suppressed) == 1


def _write(tmp_path, body: str):
    path = tmp_path / "suppressions.yaml"
    path.write_text(body)
    return path


def _entry(**fields: str) -> str:
    return "- " + "\n  ".join(f"{k}: {v}" for k, v in fields.items()) + "\n"


def test_glob_urn_is_refused_naming_the_entry(tmp_path) -> None:
    body = _entry(policy_id="k8s-probes", urns='["urn:pulumi:*::llm-platform::kubernetes:batch/v1:Job::warmup-*"]',
                  **FIELDS)
    with pytest.raises(SuppressionError) as error:
        suppressions.load(_write(tmp_path, body))
    message = str(error.value)
    assert "\n" not in message and "entry 1 (k8s-probes)" in message and "not an exact URN" in message


@pytest.mark.parametrize("missing", ["approver", "reason", "ticket", "expires", "urns"])
def test_entry_missing_a_field_is_refused_naming_the_entry(tmp_path, missing: str) -> None:
    fields = {"urns": '["urn:pulumi:dev::llm-platform::kubernetes:batch/v1:Job::warmup"]', **FIELDS}
    del fields[missing]
    ok = _entry(policy_id="k8s-probes", urns='["urn:pulumi:dev::llm-platform::kubernetes:batch/v1:Job::w"]', **FIELDS)
    with pytest.raises(SuppressionError) as error:
        suppressions.load(_write(tmp_path, ok + _entry(policy_id="k8s-resources-set", **fields)))
    message = str(error.value)
    assert "\n" not in message and "entry 2 (k8s-resources-set)" in message and f"{missing}: Field required" in message


def test_the_old_name_glob_scope_is_refused(tmp_path) -> None:
    body = _entry(policy_id="k8s-probes", name="warmup-*", **FIELDS)
    with pytest.raises(SuppressionError, match=r"entry 1 .*name: Extra inputs are not permitted"):
        suppressions.load(_write(tmp_path, body))


def test_project_suppression_file_loads_complete_entries(tmp_path) -> None:
    loaded = suppressions.load()
    assert loaded.items and all(s.approver and s.ticket and s.urns for s in loaded.items)
    assert suppressions.load(tmp_path / "missing.yaml").items == ()
