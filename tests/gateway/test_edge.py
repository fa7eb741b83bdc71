"""What the gateway's load balancer serves and under which names (blueprints.gateway.edge), and the short AWS
names its resources get."""

from __future__ import annotations

from blueprints.gateway.edge import (
    backends,
    certificate_names,
    failover_hostname,
    inbound_cidrs,
    regional_hostname,
    target_group_binding,
)
from blueprints.naming import Namer
from blueprints.presets import load_spec
from tests.support.schemas import validate_manifest


def test_the_gateway_takes_every_path_the_batch_and_feedback_apis_only_their_own():
    gateway, batch, feedback = backends(load_spec("saas", "prod")).values()
    assert (gateway.paths, gateway.target_port) == ((), 4000)
    assert batch.path_patterns == ["/v1/batches", "/v1/batches/*", "/v1/files", "/v1/files/*"]
    assert feedback.path_patterns == ["/v1/feedback", "/v1/feedback/*"]
    assert list(backends(load_spec("startup-mvp", "prod"))) == ["gateway"]


def test_one_region_serves_only_the_client_name():
    spec = load_spec("startup-mvp", "prod")
    assert certificate_names(spec) == ["llm.mvp.example.com"]


def test_several_regions_add_regional_and_failover_names_under_one_wildcard():
    spec = load_spec("regulated-industry", "prod")
    assert regional_hostname(spec, "eu-central-1") == "euc1.llm.reg.example.com"
    assert failover_hostname(spec) == "failover.llm.reg.example.com"
    assert certificate_names(spec) == ["llm.reg.example.com", "*.llm.reg.example.com"]


def test_internal_gateways_admit_every_regional_vpc_and_public_ones_anyone_unless_restricted():
    assert inbound_cidrs(load_spec("regulated-industry", "prod")) == ["10.0.0.0/16", "10.1.0.0/16"]
    assert inbound_cidrs(load_spec("regulated-industry", "dev")) == ["10.0.0.0/16"]
    assert inbound_cidrs(load_spec("startup-mvp", "prod")) == ["0.0.0.0/0"]
    restricted = load_spec("startup-mvp", "prod", overrides={"gateway": {"allowed_cidrs": ["198.51.100.0/24"]}})
    assert inbound_cidrs(restricted) == ["198.51.100.0/24"]


def test_target_group_bindings_are_valid_and_typos_are_caught():
    spec = load_spec("saas", "prod")
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/saas-prod-use1-tg-batch/0123456789abcdef"
    binding = target_group_binding(backends(spec)["batch"], arn)
    assert validate_manifest(binding) == []
    binding["spec"]["targetGroupArn"] = binding["spec"].pop("targetGroupARN")
    assert any("targetGroupArn" in problem for problem in validate_manifest(binding))


def test_short_names_fit_aws_limits_and_stay_unique():
    namer = Namer("a-very-long-platform-name", "staging", "ap-southeast-2")
    one, other = namer.short("tg", "gateway"), namer.short("tg", "batch")
    assert len(one) <= 32 and len(other) <= 32 and one != other
    assert namer.short("tg", "gateway") == one  # stable across runs
    assert Namer("llm", "prod", "us-east-1").short("alb") == "llm-prod-use1-alb"
