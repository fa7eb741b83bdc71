import json

from blueprints_policies import evaluate, report
from blueprints_policies.packs import PACKS
from blueprints_policies.suppressions import Suppression, Suppressions

from .helpers import graph, record

REASON = "Dev key is rotated by the shared platform account's automation"


def _results():
    dev_key = record("aws:kms/key:Key", "dev-key", {})
    g = graph(record("aws:kms/key:Key", "k", {}), dev_key,
              record("aws:cloudwatch/logGroup:LogGroup", "lg", {"retentionInDays": 30.0}), environment="dev")
    rules = Suppressions([Suppression(policy_id="kms-key-rotation", urns=(dev_key.urn,), approver="platform-security",
                                      reason=REASON, ticket="SEC-7", expires="2099-01-01")])
    packs = [PACKS["baseline"].model_copy(update={"entries": tuple(
        e.model_copy(update={"enforcement": "mandatory"}) if e.policy == "kms-key-rotation" else e
        for e in PACKS["baseline"].entries)})]
    return g, evaluate.evaluate(g, packs, suppressions=rules)


def test_json_has_per_pack_violations_and_a_summary() -> None:
    _, results = _results()
    data = json.loads(report.to_json(results, {"preset": "x"}))
    violations = data["packs"][0]["violations"]
    assert {"policy", "level", "severity", "urn", "message"} <= set(violations[0])
    kms = [v for v in violations if v["policy"] == "kms-key-rotation"]
    assert len(kms) == 1 and kms[0]["urn"].endswith("::k") and kms[0]["level"] == "mandatory"
    assert data["packs"][0]["suppressed"][0]["reason"] == REASON
    assert {k: data["packs"][0]["suppressed"][0][k] for k in ("approver", "ticket", "expires")} == {
        "approver": "platform-security", "ticket": "SEC-7", "expires": "2099-01-01"}
    assert data["summary"]["mandatory"] == 1
    assert data["summary"]["suppressed"] == 1
    assert data["summary"]["advisory"] == data["summary"]["by_pack"]["baseline"]["advisory"]


def test_sarif_marks_levels_and_suppressions() -> None:
    _, results = _results()
    run = json.loads(report.to_sarif(results))["runs"][0]
    levels = {(r["ruleId"], r["level"]) for r in run["results"]}
    assert ("kms-key-rotation", "error") in levels and ("kms-key-rotation", "note") in levels
    suppressed = [r for r in run["results"] if "suppressions" in r]
    assert suppressed[0]["suppressions"][0]["justification"] == REASON
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} >= {"kms-key-rotation"}


def test_text_and_markdown_name_policy_and_level() -> None:
    _, results = _results()
    assert "[mandatory] kms-key-rotation" in report.to_text(results)
    assert "| mandatory | `kms-key-rotation` |" in report.to_markdown(results)


def test_compliance_report_lists_status_evidence_and_suppression_reasons() -> None:
    g, results = _results()
    text = report.compliance_report(results, g, "unit (dev)")
    assert "| 3.7.4 | Cryptographic key changes at the end of the cryptoperiod | fail (1 mandatory) |" in text
    assert "| Art. 14 | Human oversight | process |" in text
    assert f"{REASON} (approved by platform-security, SEC-7, expires 2099-01-01;" in text
    assert "`urn:pulumi:test::blueprints::aws:kms/key:Key::k`" in text
