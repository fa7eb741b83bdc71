"""`preflight` from the command line against moto; Bedrock's control plane (not in moto 5.2.5) is answered by
botocore's Stubber."""

import json

import pytest

from blueprints.cli import main
from blueprints.commands import preflight
from blueprints.gateway.bedrock import bedrock_models
from blueprints.presets import load_spec
from tests.operations.support import (  # noqa: F401  (aws: fixture)
    Clients,
    aws,
    inference_profile,
    model_access,
    model_summary,
)

MODELS = [
    "anthropic.claude-sonnet-4-20250514-v1:0", "meta.llama3-1-8b-instruct-v1:0", "amazon.titan-embed-text-v2:0"
]


@pytest.fixture
def clients(aws, monkeypatch):  # noqa: F811
    factory = Clients()
    monkeypatch.setattr(preflight, "client", factory)
    return factory


def _offer(clients, region, model_ids):
    """Bedrock in `region` offers `model_ids` and has granted the account access to each; each profile routes
    where the catalog says (the calls in the order preflight makes them for saas)."""
    wanted = bedrock_models(load_spec("saas", "dev")).values()
    stubber = clients.stub("bedrock", region)
    stubber.add_response("list_foundation_models", {"modelSummaries": [
        model_summary(region, model.bedrock_model_id, model.invocation) for model in wanted
        if model.bedrock_model_id in model_ids]})
    for model in wanted:
        if model.bedrock_model_id not in model_ids:
            continue
        stubber.add_response("get_foundation_model_availability", model_access(model.bedrock_model_id))
        profile = model.profile_in(region) if model.invocation == "INFERENCE_PROFILE" else None
        if profile is not None:
            stubber.add_response("get_inference_profile",
                                 inference_profile(region, profile.id, list(profile.destination_regions)))


def test_clean_preflight_prints_a_table_and_exits_0(clients, capsys):
    _offer(clients, "us-east-1", MODELS)
    code = main(["preflight", "--preset", "saas", "--env", "dev", "--regions", "us-east-1"])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["CHECK", "REGION", "STATUS", "DETAIL"]
    assert any(line.split()[:3] == ["bedrock:llama-3.1-8b", "us-east-1", "PASS"] for line in lines)
    assert lines[-1] == "preflight saas/dev: no blockers, 0 warning(s)"


def test_a_blocker_exits_1_with_json(clients, capsys):
    _offer(clients, "us-east-1", MODELS[:1])
    _offer(clients, "us-west-2", MODELS)
    code = main(["preflight", "--preset", "saas", "--env", "prod", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["passed"] is False and report["regions"] == ["us-east-1", "us-west-2"]
    failed = [(row["check"], row["region"]) for row in report["checks"] if row["status"] == "fail"]
    assert failed == [("bedrock:llama-3.1-8b", "us-east-1"), ("bedrock:titan-embed-text-v2", "us-east-1")]


def test_a_region_outside_the_residency_boundary_is_bad_input(clients, capsys):
    code = main(["preflight", "--preset", "regulated-industry", "--env", "prod", "--regions", "eu-central-1,us-east-1"])
    assert code == 2
    assert "regions: 'us-east-1' is outside the EU residency boundary" in capsys.readouterr().err
