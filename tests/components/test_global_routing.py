"""Global routing: the Route 53 resources in the graph, the spec rules for the zone and names, and failover with
moto.

moto stores zones, records and health checks but evaluates neither health nor routing: `test_dns_answer`
answers 404 and `get_health_check_status` always reports success. So the failover tests create the zone,
health checks and records in moto from the same `dns_plan` the component uses, make a region unhealthy the way it
happens in Route 53 (inverting an HTTPS check; for internal gateways, the region's `gateway-unhealthy` alarm,
created in moto's CloudWatch from the edge component's definition, going to ALARM), read everything back from
moto, and apply Route 53's documented routing rules with `blueprints.operations.failover.resolve`.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from blueprints.components.global_routing import dns_plan, health_check_config, record_set
from blueprints.errors import SpecError
from blueprints.gateway.edge import UNHEALTHY_ALARM, failover_hostname, regional_hostname, unhealthy_alarm
from blueprints.naming import Namer
from blueprints.operations.failover import health_states, resolve
from blueprints.presets import load_spec
from tests.operations.support import aws  # noqa: F401  (fixture)

ROUTE53 = "aws:route53"


def _route53(graph):
    return [r for r in graph.resources if r.type.startswith(ROUTE53)]


def test_public_multi_region_preset_gets_https_checks_latency_and_failover_records(graph_of):
    resources = _route53(graph_of("saas", "prod"))
    checks = [r.inputs for r in resources if r.type == "aws:route53/healthCheck:HealthCheck"]
    assert sorted(c["fqdn"] for c in checks) == ["use1.llm.saas.example.com", "usw2.llm.saas.example.com"]
    assert {(c["type"], c["port"], c["resourcePath"], c["enableSni"]) for c in checks} == {
        ("HTTPS", 443, "/health/liveliness", True)
    }
    records = [r.inputs for r in resources if r.type == "aws:route53/record:Record"]
    latency = sorted((r["name"], r["latencyRoutingPolicies"][0]["region"]) for r in records
                     if r.get("latencyRoutingPolicies"))
    assert latency == [("llm.saas.example.com", "us-east-1"), ("llm.saas.example.com", "us-west-2")]
    failover = sorted((r["failoverRoutingPolicies"][0]["type"], r["records"][0]) for r in records
                      if r.get("failoverRoutingPolicies"))
    assert failover == [("PRIMARY", "use1.llm.saas.example.com"), ("SECONDARY", "usw2.llm.saas.example.com")]
    assert all(r.get("healthCheckId") for r in records if r["type"] == "CNAME")
    [zone] = [r.inputs for r in resources if r.type == "aws:route53/zone:Zone"]
    assert zone["name"] == "saas.example.com" and not zone.get("vpcs")


def test_each_regional_name_is_an_alias_of_that_regions_load_balancer(graph_of):
    graph = graph_of("saas", "prod")
    balancers = {r.region: r.outputs for r in graph.of_type("aws:lb/loadBalancer:LoadBalancer")}
    aliases = {r.inputs["name"]: r.inputs["aliases"] for r in graph.of_type("aws:route53/record:Record")
               if r.inputs["type"] == "A"}
    assert aliases == {
        f"{code}.llm.saas.example.com": [{"name": balancers[region]["dnsName"], "zoneId": balancers[region]["zoneId"],
                                         "evaluateTargetHealth": True}]
        for code, region in (("use1", "us-east-1"), ("usw2", "us-west-2"))
    }


def test_the_certificate_covers_the_client_regional_and_failover_names(graph_of):
    for certificate in graph_of("saas", "prod").of_type("aws:acm/certificate:Certificate"):
        assert (certificate.inputs["domainName"], certificate.inputs["subjectAlternativeNames"]) == (
            "llm.saas.example.com", ["*.llm.saas.example.com"])


def test_private_health_checks_follow_alarms_that_exist_in_their_region(graph_of):
    """An internal ALB is out of reach of Route 53's checkers: each check follows its region's alarm, which the
    region's gateway edge creates (a check on a missing alarm would make `pulumi up` fail)."""
    graph = graph_of("regulated-industry", "prod")
    alarms = {(r.region, r.inputs["name"]): r.inputs for r in graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    checks = [r.inputs for r in graph.of_type("aws:route53/healthCheck:HealthCheck")]
    assert len(checks) == 2
    for check in checks:
        alarm = alarms[(check["cloudwatchAlarmRegion"], check["cloudwatchAlarmName"])]
        assert alarm["metricName"] == "HealthyHostCount" and alarm["period"] == 60
        assert alarm["evaluationPeriods"] == load_spec("regulated-industry", "prod").dns.health_check_failure_threshold


def test_public_gateways_restricted_to_client_cidrs_use_alarm_checks(graph_of):
    spec = load_spec("saas", "prod", overrides={"gateway": {"allowed_cidrs": ["198.51.100.0/24"]}})
    assert {check.type for check in dns_plan(spec).health_checks} == {"CLOUDWATCH_METRIC"}
    assert not dns_plan(spec).private  # still a public zone: the names resolve on the internet


def test_private_regulated_preset_uses_a_private_zone_and_alarm_checks_inside_the_boundary(graph_of):
    spec = load_spec("regulated-industry", "prod")
    resources = _route53(graph_of("regulated-industry", "prod"))
    [zone] = [r.inputs for r in resources if r.type == "aws:route53/zone:Zone"]
    assert sorted(vpc["vpcRegion"] for vpc in zone["vpcs"]) == ["eu-central-1", "eu-north-1"]
    checks = [r.inputs for r in resources if r.type == "aws:route53/healthCheck:HealthCheck"]
    assert {(c["type"], c["cloudwatchAlarmRegion"]) for c in checks} == {
        ("CLOUDWATCH_METRIC", "eu-central-1"), ("CLOUDWATCH_METRIC", "eu-north-1")
    }
    regions = {region for r in resources for policy in r.inputs.get("latencyRoutingPolicies") or []
               for region in [policy["region"]]}
    assert regions <= set(spec.residency.allowed_regions)


def test_single_region_platforms_have_no_global_routing(graph_of):
    assert _route53(graph_of("saas", "dev")) == []


def test_two_regions_need_a_zone_name():
    with pytest.raises(SpecError) as error:
        load_spec("saas", "dev", regions=["us-east-1", "us-west-2"])
    assert str(error.value) == (
        "preset saas: dns.zone_name: required when the platform spans 2 regions "
        "(got none; allowed: the DNS zone of gateway.domain_name, e.g. example.com)"
    )


def test_the_client_name_must_be_inside_the_zone():
    with pytest.raises(SpecError) as error:
        load_spec("saas", "prod", overrides={"dns": {"zone_name": "other.example.org"}})
    assert str(error.value) == (
        "preset saas: gateway.domain_name: must be a name inside dns.zone_name 'other.example.org' when the platform "
        "spans 2 regions (got 'llm.saas.example.com'; allowed: e.g. llm.other.example.org)"
    )


def test_zone_name_must_be_a_dns_name():
    with pytest.raises(SpecError, match=r"overrides\.dns\.zone_name: String should match pattern"):
        load_spec("saas", "prod", overrides={"dns": {"zone_name": "Not A Zone"}})


@pytest.fixture
def route53(aws):  # noqa: F811
    return boto3.client("route53")


def _create(route53, spec):
    """The component's resources, created in moto from the shared plan; returns zone id and region -> check id."""
    plan = dns_plan(spec)
    zone_id = route53.create_hosted_zone(Name=plan.zone_name, CallerReference="test")["HostedZone"]["Id"]
    checks = {
        check.region: route53.create_health_check(
            CallerReference=f"hc-{check.region}", HealthCheckConfig=health_check_config(check)
        )["HealthCheck"]["Id"]
        for check in plan.health_checks
    }
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": record_set(record, checks[record.region])} for record in plan.records
    ]})
    return zone_id, checks


class _KeepsAlarmIdentifiers:
    """moto 5.2 stores a CLOUDWATCH_METRIC health check without its AlarmIdentifier and
    InsufficientDataHealthStatus; this route53 client gives them back from what was created (everything else is
    moto's answer)."""

    def __init__(self, route53, spec):
        self._route53 = route53
        self._created = {check.region: health_check_config(check) for check in dns_plan(spec).health_checks}

    def __getattr__(self, name):
        return getattr(self._route53, name)

    def get_health_check(self, HealthCheckId):
        answer = self._route53.get_health_check(HealthCheckId=HealthCheckId)
        config = answer["HealthCheck"]["HealthCheckConfig"]
        region = answer["HealthCheck"]["CallerReference"].removeprefix("hc-")
        return {**answer, "HealthCheck": {**answer["HealthCheck"],
                                          "HealthCheckConfig": {**self._created[region], **config}}}


def _answers(route53, zone_id, checks, spec, client_region):
    records = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    states = health_states(route53, list(checks.values()))
    return (resolve(records, states, spec.gateway.domain_name, client_region),
            resolve(records, states, failover_hostname(spec), client_region))


def test_moto_does_not_answer_dns_queries(route53):
    zone_id = route53.create_hosted_zone(Name="example.com", CallerReference="x")["HostedZone"]["Id"]
    with pytest.raises(ClientError, match="404"):
        route53.test_dns_answer(HostedZoneId=zone_id, RecordName="api.example.com", RecordType="CNAME")


def test_an_unhealthy_region_fails_over_to_the_other(route53):
    spec = load_spec("saas", "prod")
    east, west = regional_hostname(spec, "us-east-1"), regional_hostname(spec, "us-west-2")
    zone_id, checks = _create(route53, spec)
    assert _answers(route53, zone_id, checks, spec, "us-east-1") == (east, east)
    assert _answers(route53, zone_id, checks, spec, "us-west-2") == (west, east)

    route53.update_health_check(HealthCheckId=checks["us-east-1"], Inverted=True)  # us-east-1 now unhealthy
    assert _answers(route53, zone_id, checks, spec, "us-east-1") == (west, west)

    route53.update_health_check(HealthCheckId=checks["us-west-2"], Inverted=True)  # both unhealthy
    assert _answers(route53, zone_id, checks, spec, "us-east-1") == (east, east)

    route53.update_health_check(HealthCheckId=checks["us-east-1"], Inverted=False)  # us-east-1 recovers
    assert _answers(route53, zone_id, checks, spec, "us-west-2") == (east, east)


def _create_alarms(spec) -> None:
    """Each region's `gateway-unhealthy` alarm in moto's CloudWatch, from the definition the edge component uses."""
    api = {"namespace": "Namespace", "metric_name": "MetricName", "statistic": "Statistic", "period": "Period",
           "evaluation_periods": "EvaluationPeriods", "comparison_operator": "ComparisonOperator",
           "threshold": "Threshold", "treat_missing_data": "TreatMissingData"}
    for region in spec.regions:
        boto3.client("cloudwatch", region_name=region).put_metric_alarm(
            AlarmName=Namer(spec.name, spec.environment, region)(UNHEALTHY_ALARM),
            Dimensions=[{"Name": "LoadBalancer", "Value": "app/alb/1"}, {"Name": "TargetGroup", "Value": "tg/1"}],
            **{api[key]: value for key, value in unhealthy_alarm(spec).items()})


def _set_alarm(spec, region: str, state: str) -> None:
    boto3.client("cloudwatch", region_name=region).set_alarm_state(
        AlarmName=Namer(spec.name, spec.environment, region)(UNHEALTHY_ALARM), StateValue=state, StateReason="test")


def test_private_zone_records_follow_the_regional_alarms_inside_the_residency_boundary(route53):
    """The internal gateway's health is its region's alarm: a region fails over when its alarm fires, and a region
    whose alarm has no data yet (nothing registered) does not take traffic."""
    spec = load_spec("regulated-industry", "prod")
    zone_id, checks = _create(route53, spec)
    route53 = _KeepsAlarmIdentifiers(route53, spec)
    _create_alarms(spec)
    central, north = "euc1.llm.reg.example.com", "eun1.llm.reg.example.com"
    # A new alarm has no data until its first minute is evaluated (moto starts it at OK, so set it).
    _set_alarm(spec, "eu-central-1", "INSUFFICIENT_DATA")
    assert _answers(route53, zone_id, checks, spec, "eu-central-1") == (north, north)
    _set_alarm(spec, "eu-central-1", "OK")
    assert _answers(route53, zone_id, checks, spec, "eu-central-1") == (central, central)
    assert _answers(route53, zone_id, checks, spec, "eu-north-1") == (north, central)

    _set_alarm(spec, "eu-central-1", "ALARM")  # no healthy gateway target in eu-central-1
    assert _answers(route53, zone_id, checks, spec, "eu-central-1") == (north, north)
