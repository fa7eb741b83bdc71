"""Bad input is refused before anything is built, with one line per problem naming the path, value and what's allowed.

Each case is a regression test for one refused combination (see blueprints/spec.py and presets/errors.py).
"""

from __future__ import annotations

import pytest

from blueprints.cli import main
from blueprints.errors import BlueprintError
from blueprints.presets import load_spec

EU = "eu-central-1, eu-west-1, eu-west-3, eu-north-1"

CASES = [
    ("unknown preset", "nope", "prod", {}, None,
     "preset: unknown preset 'nope' "
     "(allowed: enterprise-assistant, internal-ai, regulated-industry, saas, startup-mvp)"),
    ("unknown environment", "saas", "qa", {}, None,
     "environment: unknown environment 'qa' (allowed: dev, staging, prod)"),
    ("region outside residency", "regulated-industry", "prod", {}, ["us-east-1"],
     f"overrides.regions: 'us-east-1' is outside the EU residency boundary (allowed: {EU})"),
    ("region listed twice", "saas", "dev", {}, ["us-east-1", "us-east-1"],
     "overrides.regions: regions are listed twice: ['us-east-1', 'us-east-1']"),
    ("no region", "saas", "dev", {"regions": []}, None, "overrides.regions: at least one region is required"),
    ("tp larger than any instance", "regulated-industry", "prod", {"serving": {"models": [{"tp": 16}]}}, None,
     "overrides.serving.models[0].tp: 16 GPUs per pod do not fit pool 'large' "
     "(its largest L40S instance has 8 GPUs; allowed: tp <= 8)"),
    ("tp not a power of two", "regulated-industry", "prod", {"serving": {"models": [{"tp": 3}]}}, None,
     "overrides.serving.models[0].tp: must be a power of two (got 3; allowed: 1, 2, 4, 8)"),
    ("mistyped field", "regulated-industry", "prod", {"serving": {"models": [{"max_replicaz": 3}]}}, None,
     "overrides.serving.models[0].max_replicaz: unknown field (got 3; allowed fields: name, hosting, model, "
     "checkpoint, precision, gpu_pool, tp, min_replicas, max_replicas, traffic, slo"),
    ("precision the GPU lacks", "regulated-industry", "prod", {"serving": {"models": [{"precision": "nvfp4"}]}},
     None, "overrides.serving.models[0].precision: 'nvfp4' is not supported on L40S (allowed: bf16, fp8, int4_awq)"),
    ("unknown pool", "regulated-industry", "prod", {"serving": {"models": [{"gpu_pool": "a100"}]}}, None,
     "overrides.serving.models[0].gpu_pool: no GPU pool named 'a100' (allowed: large, l40s)"),
    ("min above max replicas", "regulated-industry", "prod",
     {"serving": {"models": [{"min_replicas": 5, "max_replicas": 2}]}}, None,
     "overrides.serving.models[0]: min_replicas (5) is larger than max_replicas (2)"),
    ("unknown architecture", "regulated-industry", "prod", {"serving": {"models": [{"model": "gpt-9"}]}}, None,
     "overrides.serving.models[0].model: unknown model architecture 'gpt-9' (allowed: "),
    ("unknown GPU family", "enterprise-assistant", "prod", {"cluster": {"gpu_pools": [{"gpu": "X100"}]}}, None,
     "overrides.cluster.gpu_pools[0].gpu: unknown GPU family 'X100' (allowed: H100, H200, B200, A100, L40S, L4, A10G)"),
    ("instance of another GPU family", "enterprise-assistant", "prod",
     {"cluster": {"gpu_pools": [{"instance_types": ["p5.48xlarge"]}]}}, None,
     "overrides.cluster.gpu_pools[0].instance_types: ['p5.48xlarge'] are not L40S instance types (allowed: g6e."),
    ("duplicate pool", "internal-ai", "prod", {"cluster": {"gpu_pools": [{"name": "l40s"}]}}, None,
     "overrides.cluster.gpu_pools: duplicate pool names ['l40s']"),
    ("hosted model where prompts may not leave", "regulated-industry", "prod",
     {"serving": {"models": [{}, {"hosting": "bedrock", "gpu_pool": None, "model": "claude-sonnet-4"}]}}, None,
     "overrides.serving.models[1].hosting: 'bedrock' is not allowed because compliance.allow_hosted_models is false "
     "(prompts may not leave the account); allowed: self-hosted"),
    ("unknown hosted model", "startup-mvp", "prod", {"serving": {"models": [{"model": "claude-99"}]}}, None,
     "overrides.serving.models[0].model: unknown hosted model 'claude-99' (allowed: "),
    ("fallback to unknown model", "startup-mvp", "prod", {"gateway": {"fallbacks": {"chat": ["gpt-4"]}}}, None,
     "overrides.gateway.fallbacks: unknown model 'gpt-4' (allowed: chat, chat-anthropic, chat-smart)"),
    ("too many AZs", "startup-mvp", "prod", {"network": {"availability_zones": 5}}, None,
     "overrides.network.availability_zones: Input should be less than or equal to 3 (got 5)"),
    ("public CIDR", "startup-mvp", "prod", {"network": {"cidr": "8.8.0.0/16"}}, None,
     "overrides.network.cidr: '8.8.0.0/16' is not a private /16 block (allowed: e.g. 10.0.0.0/16, 172.16.0.0/16)"),
    ("unknown NAT mode", "startup-mvp", "prod", {"network": {"nat_gateways": "none"}}, None,
     "overrides.network.nat_gateways: Input should be 'single' or 'per-az' (got 'none')"),
    ("unknown framework", "startup-mvp", "prod", {"compliance": {"frameworks": ["fedramp"]}}, None,
     "overrides.compliance.frameworks[0]: Input should be 'soc2', 'hipaa', 'gdpr', 'pci-dss', 'iso27001', "
     "'eu-ai-act' or 'nist-800-53' (got 'fedramp')"),
    ("environment in overrides", "startup-mvp", "prod", {"environment": "prod"}, None,
     "overrides.environment: set environment in stack config, not in overrides"),
    ("self-hosted model without pool", "startup-mvp", "prod",
     {"serving": {"models": [{"hosting": "self-hosted", "model": "llama-3.1-8b"}]}}, None,
     "preset startup-mvp: serving.models[0].gpu_pool: a self-hosted model needs a gpu_pool "
     "(a name from cluster.gpu_pools)"),
    ("zero max_tokens", "startup-mvp", "prod", {"gateway": {"max_tokens": 0}}, None,
     "overrides.gateway.max_tokens: Input should be greater than or equal to 1 (got 0)"),
    ("unknown top-level section", "startup-mvp", "prod", {"bogus": 1}, None,
     "overrides.bogus: unknown field (got 1; allowed fields: name, preset, environment, owner, cost_center, regions,"),
    ("negative traffic", "enterprise-assistant", "prod",
     {"serving": {"models": [{"traffic": {"requests_per_second": -1}}]}}, None,
     "overrides.serving.models[0].traffic.requests_per_second: Input should be greater than 0 (got -1)"),
]


@pytest.mark.parametrize(("preset", "env", "overrides", "regions", "expected"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_is_refused_with_its_path_value_and_allowed(preset, env, overrides, regions, expected):
    with pytest.raises(BlueprintError) as raised:
        load_spec(preset, env, overrides, regions)
    assert str(raised.value).startswith(expected)


def test_duplicate_model_names_are_reported_once_with_the_second_path():
    with pytest.raises(BlueprintError) as raised:
        load_spec("saas", "prod", {"serving": {"models": [{"name": "chat-large"}]}})
    problems = str(raised.value).splitlines()
    assert problems[0] == "preset saas: serving.models[1].name: 'chat-large' is used by more than one model"
    assert len([p for p in problems if "more than one model" in p]) == 1


def test_cli_exits_2_with_one_line_and_no_traceback(capsys):
    code = main(["plan", "--preset", "regulated-industry", "--env", "prod", "--regions", "us-east-1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == (f"error: overrides.regions: 'us-east-1' is outside the EU residency boundary "
                           f"(allowed: {EU})")
    assert "Traceback" not in err


def test_cli_set_reaches_the_spec_by_path(capsys):
    code = main(["plan", "--preset", "regulated-industry", "--env", "prod", "--set", "serving.models[0].tp=16"])
    assert code == 2
    assert "overrides.serving.models[0].tp: 16 GPUs per pod do not fit pool 'large'" in capsys.readouterr().err


def test_bad_input_creates_nothing(monkeypatch):
    """Validation runs before the program: the mock monitor never sees a registration."""
    from blueprints.engine import program

    ran = []
    monkeypatch.setattr(program, "run_under_mocks", lambda *args, **kwargs: ran.append(args))
    with pytest.raises(BlueprintError):
        program.build_graph("regulated-industry", "prod", regions=["us-east-1"])
    assert ran == []
