"""`plan` prints the inventory per region, the cost and the diagram, in text, Markdown and JSON."""

from __future__ import annotations

import json

from blueprints.cli import main


def test_plan_json_lists_resources_and_summary(capsys):
    assert main(["plan", "--preset", "regulated-industry", "--env", "prod", "--format", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["summary"]["by_region"].keys() == {"eu-central-1", "eu-north-1"}
    resource = plan["resources"][0]
    assert resource.keys() >= {"type", "name", "urn", "parent", "region"}
    money = plan["summary"]["monthly_usd"]
    assert 0 < money["fixed"] < money["total_floor"] <= money["total_peak"]
    assert plan["diagram"].startswith("flowchart LR")
    assert plan["policy"]["regulated"]["mandatory"] == 0
    assert plan["policy"]["baseline"]["mandatory"] == 0


def test_plan_markdown_has_a_mermaid_diagram_per_region(capsys):
    assert main(["plan", "--preset", "saas", "--env", "prod", "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert "```mermaid" in out and 'subgraph us_east_1["us-east-1"]' in out and 'subgraph us_west_2' in out
    assert "  gateway: 3-9 replicas x 2 vCPU for a peak of 25 req/s, 100% streamed (cores needed at 60% CPU: 2;" in out


def test_plan_text_groups_by_component_with_counts(capsys):
    assert main(["plan", "--preset", "startup-mvp", "--env", "dev"]) == 0
    out = capsys.readouterr().out
    assert "Network" in out and "aws:ec2/vpc:Vpc" in out and "Monthly cost estimate" in out


def test_plan_reads_a_stack_file(capsys):
    assert main(["plan", "--stack", "regulated-industry-prod", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["preset"] == "regulated-industry"


def test_unknown_stack_is_a_clear_error(capsys):
    assert main(["plan", "--stack", "nope"]) == 2
    assert "no file" in capsys.readouterr().err
