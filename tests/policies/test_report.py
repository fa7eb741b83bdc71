import copy
import json
from datetime import UTC, datetime

import jsonschema
import pytest
from blueprints_policies import evaluate, provenance, report
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
    row = next(line for line in text.splitlines() if line.startswith("| 3.7.4 |"))
    assert "| Cryptographic key changes at the end of the cryptoperiod | partial | fail (1 mandatory) |" in row
    assert row.endswith("| `k` (kms-key-rotation): enableKeyRotation = (absent) |")
    assert "| Art. 14 | Human oversight | — | process |" in text
    assert f"{REASON} (approved by platform-security, SEC-7, expires 2099-01-01;" in text
    assert "`urn:pulumi:test::blueprints::aws:kms/key:Key::k`" in text


# The SARIF 2.1.0 objects and fields a report uses, with their allowed values, from the OASIS schema
# (oasis-tcs/sarif-spec sarif-2.1/schema/sarif-schema-2.1.0.json, last changed in a560296, errata 01; spec sections
# 3.13 run, 3.27 result, 3.28 location, 3.29 physicalLocation, 3.4 artifactLocation, 3.30 region, 3.33
# logicalLocation, 3.35 suppression, 3.49 reportingDescriptor). additionalProperties false catches a misspelt field.
# The full schema is not vendored (the offline mirror `make vendor` reads lacks it).
_TEXT = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}},
         "additionalProperties": False}
_PHYSICAL = {"type": "object", "additionalProperties": False, "required": ["artifactLocation", "region"],
             "properties": {"artifactLocation": {"type": "object", "additionalProperties": False,
                                                 "required": ["uri"],
                                                 "properties": {"uri": {"type": "string"},
                                                                "uriBaseId": {"type": "string"}}},
                            "region": {"type": "object", "additionalProperties": False, "required": ["startLine"],
                                       "properties": {"startLine": {"type": "integer", "minimum": 1}}}}}
_LOCATION = {"type": "object", "additionalProperties": False, "properties": {
    "id": {"type": "integer", "minimum": -1}, "physicalLocation": _PHYSICAL, "message": _TEXT,
    "logicalLocations": {"type": "array", "items": {"type": "object", "additionalProperties": False, "properties": {
        "fullyQualifiedName": {"type": "string"}, "kind": {"type": "string"}}}}}}
SARIF_SUBSET = {
    "type": "object", "required": ["version", "runs"], "additionalProperties": False,
    "properties": {"$schema": {"type": "string", "format": "uri"}, "version": {"enum": ["2.1.0"]}, "runs": {
        "type": "array", "items": {"type": "object", "required": ["tool"], "additionalProperties": False,
                                   "properties": {
            "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                "type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "rules": {
                    "type": "array", "items": {"type": "object", "required": ["id"], "properties": {
                        "id": {"type": "string"}, "name": {"type": "string"}, "shortDescription": _TEXT,
                        "fullDescription": _TEXT, "help": _TEXT, "properties": {"type": "object"}},
                        "additionalProperties": False}}}}}},
            "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
            "invocations": {"type": "array", "items": {"type": "object", "required": ["executionSuccessful"],
                                                        "properties": {"executionSuccessful": {"type": "boolean"},
                                                                       "endTimeUtc": {"type": "string",
                                                                                      "pattern": "Z$"}}}},
            "properties": {"type": "object"},
            "results": {"type": "array", "items": {
                "type": "object", "required": ["message"], "additionalProperties": False, "properties": {
                    "ruleId": {"type": "string"}, "level": {"enum": ["none", "note", "warning", "error"]},
                    "message": _TEXT, "locations": {"type": "array", "items": _LOCATION},
                    "relatedLocations": {"type": "array", "items": _LOCATION},
                    "suppressions": {"type": "array", "items": {"type": "object", "required": ["kind"],
                                                                "properties": {"kind": {"enum": ["inSource",
                                                                                                 "external"]},
                                                               "justification": {"type": "string"}}}},
                    "properties": {"type": "object"}}}}}}}},
}


@pytest.fixture(scope="module")
def preset_check(graph_of):
    """A real preset graph with one log group's retention taken out, checked by the baseline pack."""
    graph = copy.deepcopy(graph_of("startup-mvp", "prod"))
    key = next(r for r in graph.resources if r.type == "aws:cloudwatch/logGroup:LogGroup")
    key.inputs["retentionInDays"] = 0
    stack = {"preset": "startup-mvp", "environment": "prod", "frameworks": ["SOC 2", "ISO 27001"]}
    context = report.ReportContext(graph=graph, provenance=provenance.collect(
        ["baseline"], stack, at=datetime(2026, 12, 4, 9, 0, tzinfo=UTC)))
    return key, context, evaluate.evaluate(graph, [PACKS["baseline"]])


def test_sarif_results_point_at_the_component_that_created_the_resource(preset_check) -> None:
    key, context, results = preset_check
    document = json.loads(report.to_sarif(results, context))
    jsonschema.validate(document, SARIF_SUBSET)
    rotation = next(r for r in document["runs"][0]["results"] if r["ruleId"] == "log-group-retention"
                    and r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == key.urn)
    physical = rotation["locations"][0]["physicalLocation"]
    path, line = physical["artifactLocation"]["uri"], physical["region"]["startLine"]
    assert path.startswith("blueprints/components/")
    source = (report.ROOT / path).read_text().splitlines()[line - 1]
    assert "LogGroup(" in source, source  # the line that constructs the resource
    assert rotation["properties"]["evidence"] == {"retentionInDays": 0}
    assert document["runs"][0]["properties"]["provenance"]["packs"] == {"baseline": "0.1.0"}


def test_every_rendering_carries_provenance_and_the_offending_values(preset_check) -> None:
    key, context, results = preset_check
    data = json.loads(report.to_json(results, {"preset": "startup-mvp"}, context))
    assert set(data["provenance"]) == {"generated_at", "project", "packs", "stack", "tools"}
    assert len(data["provenance"]["project"]["commit"]) == 40
    assert data["provenance"]["stack"]["frameworks"] == ["SOC 2", "ISO 27001"]
    assert {"python", "pulumi", "pulumi-policy"} <= set(data["provenance"]["tools"])
    violation = next(v for r in data["packs"] for v in r["violations"] if v["urn"] == key.urn)
    assert violation["evidence"] == {"retentionInDays": 0}
    assert violation["location"]["path"].startswith("blueprints/components/")
    text = report.to_text(results, context)
    assert "# generated 2026-12-04T09:00:00+00:00 from commit" in text and "evidence: retentionInDays = 0" in text
    markdown = report.to_markdown(results, context)
    assert "retentionInDays = 0" in markdown and "frameworks=[\"SOC 2\", \"ISO 27001\"]" in markdown
