"""`python -m blueprints check`: formats, exit codes and bad input, on a fixture graph (the engine is
replaced so these tests do not depend on any preset)."""

import json

import pytest
from blueprints_policies.graph import Graph, Record

from blueprints.cli import main
from blueprints.commands import check

BUCKET = "aws:s3/bucket:Bucket"


def _graph() -> Graph:
    urn = "urn:pulumi:t::p::aws:s3/bucket:Bucket::weights"
    return Graph(resources=[Record(type=BUCKET, name="weights", urn=urn, inputs={"bucket": "weights"},
                                   outputs={"bucket": "weights", "id": "weights"}, region="eu-central-1")],
                 stack_config={"llm-platform:environment": "dev"})


@pytest.fixture
def fake_engine(monkeypatch):
    import blueprints.engine.program as program

    monkeypatch.setattr(program, "build_graph", lambda preset, env, regions=None, overrides=None: _graph())


def test_json_output_and_exit_code(fake_engine, capsys) -> None:
    code = main(["check", "--preset", "startup-mvp", "--env", "dev", "--pack", "baseline", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    policies = {v["policy"] for v in data["packs"][0]["violations"]}
    assert {"s3-bucket-encrypted", "s3-bucket-versioned", "s3-bucket-public-access-blocked"} <= policies
    assert data["summary"]["mandatory"] == 3
    assert data["target"] == {"preset": "startup-mvp", "environment": "dev", "packs": ["baseline"], "frameworks": []}


def test_fail_on_and_pack_config(fake_engine, tmp_path, capsys) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"baseline": {p: "advisory" for p in (
        "s3-bucket-encrypted", "s3-bucket-versioned", "s3-bucket-public-access-blocked")}}))
    args = ["check", "--preset", "startup-mvp", "--pack", "baseline", "--pack-config", str(config)]
    assert main(args) == 0
    assert main([*args, "--fail-on", "advisory"]) == 1
    assert "[advisory] s3-bucket-encrypted" in capsys.readouterr().out


def test_sarif_markdown_and_report_file(fake_engine, tmp_path, capsys) -> None:
    report = tmp_path / "report.md"
    main(["check", "--preset", "startup-mvp", "--pack", "regulated", "--format", "sarif", "--report", str(report)])
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    assert "residency-declared" in {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert report.read_text().startswith("# Compliance report: startup-mvp (dev)")
    main(["check", "--preset", "startup-mvp", "--pack", "baseline", "--format", "md"])
    assert "## Pack `baseline`" in capsys.readouterr().out


def test_bad_input_exits_2(fake_engine, tmp_path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"baseline": {"s3-bucket-encrypted": "sometimes"}}')
    assert main(["check", "--preset", "startup-mvp", "--pack", "baseline", "--pack-config", str(bad)]) == 2
    assert "enforcement level 'sometimes'" in capsys.readouterr().err
    assert main(["check", "--preset", "startup-mvp", "--pack", "nope"]) == 2  # usage error: one line, no SystemExit


def test_check_graph_rejects_unknown_pack() -> None:
    with pytest.raises(check.BlueprintError, match="unknown pack"):
        check.check_graph(_graph(), ["nope"])


def test_default_packs_add_regulated_for_regulated_specs() -> None:
    assert check.default_packs("basic") == ["baseline", "cost-guardrails", "kubernetes-workloads"]
    assert check.default_packs("regulated")[-1] == "regulated"
