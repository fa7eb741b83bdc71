"""Every usage line of the bill against a hand-priced reference (issue 19 s3).

saas prod: two regions (us-east-1, us-west-2), hosted models only, response cache on. Defaults of spec.usage:
mean load 0.3 of the stated peak, cache hit rate 0.1, 4 bytes per token, 2048 log bytes per request.
A month is 730 h = 2,628,000 s; each region carries half the traffic.

  chat-small (llama-3.1-8b): 20 rps x 0.3 x 2,628,000 / 2 = 7,884,000 requests; 600 in + 250 out tokens
  chat-large (claude-sonnet-4): 5 rps x 0.3 x 2,628,000 / 2 = 1,971,000 requests; 1500 in + 500 out tokens
  gateway requests = 9,855,000; gateway bytes = 7,884,000 x 850 x 4 + 1,971,000 x 2000 x 4 = 42,573,600,000 B
  reaching hosted models (x 0.9 cache misses): 7,095,600 and 1,773,900 requests, 38.31624 GB

Unit prices (us-east-1 pricing pages, read 2026-12): Bedrock llama-3.1-8b $0.22/$0.22 per 1M tokens, Claude
Sonnet 4 $3/$15; NAT data processed $0.045/GB; ALB $0.008 per LCU-hour, an LCU = 25 new connections/s or 1 GB/h;
CloudWatch Logs $0.50/GB ingested, $0.03/GB-month stored; inter-AZ $0.01/GB each way; Secrets Manager $0.05 per
10,000 calls; Fargate $0.04048 per vCPU-hour and $0.004445 per GB-hour.
"""

from __future__ import annotations

from datetime import date

import pytest

from blueprints.bill import usage_lines
from blueprints.catalog.models import MODELS, weight_bytes
from blueprints.engine.graph import ResourceGraph, ResourceRecord
from blueprints.plan import build_plan
from blueprints.presets import load_spec


@pytest.fixture(scope="module")
def saas_prod(graph_of):
    spec = load_spec("saas", "prod")
    return spec, {(line.region, line.item): line for line in usage_lines(spec, graph_of("saas", "prod"))}


@pytest.mark.parametrize(("item", "usd"), [
    # 7,095,600 x (600 + 250) x $0.22 / 1e6 = 1,326.8772
    ("hosted tokens llama-3.1-8b", 1326.88),
    # 1,773,900 x (1500 x $3 + 500 x $15) / 1e6 = 1,773,900 x $0.012 = 21,286.80
    ("hosted tokens claude-sonnet-4", 21286.80),
    # 38.31624 GB x $0.045 = 1.7242
    ("NAT gateway data processed", 1.72),
    # 9,855,000 / 2,628,000 = 3.75 new connections/s = 0.15 LCU (> 42.5736 GB / 730 h = 0.0583 GB/h);
    # 0.15 x $0.008 x 730 = 0.876
    ("ALB LCU", 0.88),
    # 9,855,000 x 2048 B = 20.18304 GB x $0.50 = 10.0915; stored 20.18304 x 90 / 30.4375 = 59.679 GB x $0.03
    # = 1.7904; 11.8819
    ("CloudWatch Logs", 11.88),
    # 42.5736 GB x 2/3 crossing zones (3 zones) x $0.02 = 0.5676
    ("inter-AZ transfer", 0.57),
])
def test_saas_prod_usage_lines_match_the_hand_priced_reference(saas_prod, item, usd):
    _, lines = saas_prod
    line = lines[("us-east-1", item)]
    assert line.usd_per_month == pytest.approx(usd, abs=0.01)
    assert line.kind == "usage" and line.source


def test_external_secrets_refreshes_are_priced_per_remote_key(saas_prod, graph_of):
    """External Secrets reads each remote key once per refreshInterval (1h): keys x 730 calls x $0.05 / 10,000."""
    records = [r for r in graph_of("saas", "prod").resources if r.region == "us-east-1"
               and r.type.endswith(":ExternalSecret")]
    keys = sum(len({d["remoteRef"]["key"] for d in r.inputs["spec"]["data"]}) for r in records)
    assert keys, "saas prod reads its secrets through External Secrets"
    _, lines = saas_prod
    assert lines[("us-east-1", "Secrets Manager API calls")].usd_per_month == pytest.approx(
        keys * 730 * 0.05 / 10_000, abs=0.01)


def test_fargate_tasks_are_priced_from_the_task_definition():
    """2 tasks x (1 vCPU x $0.04048 + 2 GB x $0.004445) x 730 h = 2 x 0.04937 x 730 = 72.08."""
    spec = load_spec("saas", "dev")
    arn = "arn:aws:ecs:us-east-1:123456789012:taskdefinition/gateway"

    graph = _graph(
        _record("aws:ecs/taskDefinition:TaskDefinition", "gateway", {"cpu": "1024", "memory": "2048"}, {"arn": arn}),
        _record("aws:ecs/service:Service", "gateway", {"taskDefinition": arn, "desiredCount": 2,
                                                       "launchType": "FARGATE"}),
    )
    [fargate] = [line for line in usage_lines(spec, graph) if line.item == "Fargate"]
    assert fargate.usd_per_month == pytest.approx(72.08, abs=0.01)
    assert fargate.kind == "fixed" and "fargate/pricing" in fargate.source


def test_checkpoints_replicated_to_the_second_region_are_priced(graph_of):
    """regulated-industry prod replicates each published checkpoint from eu-central-1 to eu-west-1: one version a
    month x checkpoint GB x $0.02/GB (the checkpoint's size is the model catalog's weight bytes at its precision)."""
    spec = load_spec("regulated-industry", "prod")
    lines = {line.item: line for line in usage_lines(spec, graph_of("regulated-industry", "prod"))}
    for model in spec.self_hosted_models:
        gigabytes = weight_bytes(MODELS[model.model], model.precision) / 1e9
        line = lines[f"cross-region replication {model.name}"]
        assert (line.region, line.usd_per_month) == ("eu-central-1", pytest.approx(gigabytes * 0.02, abs=0.01))


def test_the_budget_verdict_is_on_the_whole_bill(graph_of):
    """AWS Budgets see every line: fixed + usage + GPU at peak, not the GPU fleet alone."""
    plan = build_plan(load_spec("saas", "prod"), graph_of("saas", "prod"), date(2026, 12, 4))
    money = plan.summary["monthly_usd"]
    assert money["total_peak"] == pytest.approx(money["fixed"] + money["usage"] + money["gpu_peak"], abs=0.02)
    assert money["usage"] > money["fixed"], "hosted tokens are saas's biggest line"
    assert f"${money['total_peak']:,.0f}/month" in plan.summary["budget"]


def _record(type_: str, name: str, inputs: dict, outputs: dict | None = None) -> ResourceRecord:
    return ResourceRecord(type=type_, name=name, urn=f"urn:{name}", parent=None, custom=True, provider=None,
                          dependencies=[], inputs=inputs, outputs=outputs or {}, protect=False, region="us-east-1")


def _graph(*records: ResourceRecord) -> ResourceGraph:
    return ResourceGraph(project="p", stack="s", stack_outputs={}, stack_config={}, resources=list(records))


def test_hosted_calls_through_a_bedrock_runtime_endpoint_are_priced_there_not_at_nat():
    """saas dev (one region) at prod's 30% mean load: hosted bytes reaching models = 0.9 x (20 x 0.3 x 2,628,000 x
    850 x 4 + 5 x 0.3 x 2,628,000 x 2000 x 4) B = 76.63248 GB; through the endpoint at $0.01/GB = $0.77, through NAT
    at $0.045 = $3.45."""
    spec = load_spec("saas", "dev", overrides={"usage": {"mean_load_of_peak": 0.3}})
    nat = _record("aws:ec2/natGateway:NatGateway", "nat", {})
    endpoint = _record("aws:ec2/vpcEndpoint:VpcEndpoint", "bedrock",
                       {"serviceName": "com.amazonaws.us-east-1.bedrock-runtime", "vpcEndpointType": "Interface"})
    through_nat = {line.item: line.usd_per_month for line in usage_lines(spec, _graph(nat))}
    through_endpoint = {line.item: line.usd_per_month for line in usage_lines(spec, _graph(nat, endpoint))}
    assert through_nat["NAT gateway data processed"] == pytest.approx(3.45, abs=0.01)
    assert "interface endpoint data processed" not in through_nat
    assert through_endpoint["interface endpoint data processed"] == pytest.approx(0.77, abs=0.01)
    assert "NAT gateway data processed" not in through_endpoint


def test_calls_to_other_providers_go_through_nat_even_beside_a_bedrock_endpoint():
    """saas dev plus an Anthropic model at 1 request/s of 1000 + 250 tokens: 0.9 x 1 x 0.3 x 2,628,000 x 1250 x 4 B
    = 3.5478 GB leave through NAT at $0.045/GB = $0.16; Bedrock's bytes stay on the endpoint ($0.77 as above)."""
    spec = load_spec("saas", "dev", overrides={"usage": {"mean_load_of_peak": 0.3}, "serving": {"models": [
        {}, {}, {"name": "chat-anthropic", "hosting": "anthropic", "model": "claude-sonnet-4",
                 "traffic": {"requests_per_second": 1, "input_tokens": 1000, "output_tokens": 250}}]}})
    nat = _record("aws:ec2/natGateway:NatGateway", "nat", {})
    endpoint = _record("aws:ec2/vpcEndpoint:VpcEndpoint", "bedrock",
                       {"serviceName": "com.amazonaws.us-east-1.bedrock-runtime", "vpcEndpointType": "Interface"})
    lines = {line.item: line.usd_per_month for line in usage_lines(spec, _graph(nat, endpoint))}
    assert lines["NAT gateway data processed"] == pytest.approx(0.16, abs=0.01)
    assert lines["interface endpoint data processed"] == pytest.approx(0.77, abs=0.01)
    assert lines["hosted tokens claude-sonnet-4 (anthropic)"] == pytest.approx(
        0.9 * 0.3 * 2_628_000 * (1000 * 3 + 250 * 15) / 1e6, abs=0.01)


def test_kms_requests_beyond_the_free_tier():
    """One ExternalSecret of one key refreshed every minute: 2,628,000 / 60 = 43,800 reads a month. Secrets Manager
    43,800 x $0.05 / 10,000 = $0.22; KMS (43,800 - 20,000 free) x $0.03 / 10,000 = $0.07."""
    secret = _record("kubernetes:external-secrets.io/v1:ExternalSecret", "creds", {"spec": {
        "refreshInterval": "1m", "data": [{"secretKey": "k", "remoteRef": {"key": "arn:secret"}}]}})
    lines = {line.item: line.usd_per_month for line in usage_lines(load_spec("saas", "dev"), _graph(secret))}
    assert (lines["Secrets Manager API calls"], lines["KMS requests"]) == (0.22, 0.07)
