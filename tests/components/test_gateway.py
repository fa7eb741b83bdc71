"""The gateway component in the offline program: ALB, TLS, WAF, access logs, LiteLLM workload,
credentials and Bedrock access, for a private (regulated) and a public hosted-only (startup) preset."""

from __future__ import annotations

import json

import pytest
import yaml

from blueprints.catalog.registries import pull_through_path
from blueprints.components.inference_routing import routed_base_url, routed_models
from blueprints.components.network import egress_mode
from blueprints.engine.graph import ResourceGraph
from blueprints.engine.mocks import ACCOUNT_ID
from blueprints.engine.program import build_graph
from blueprints.gateway.capacity import gateway_sizing
from blueprints.gateway.litellm_config import litellm_config
from blueprints.gateway.manifests import ARTIFACT_ANNOTATION, CONFIG_KEY
from blueprints.gateway.providers import provider_credentials
from blueprints.presets import load_spec
from blueprints.render import kubernetes_object
from blueprints.spec import PlatformSpec
from blueprints.versions import IMAGES
from tests.support.schemas import validate_manifest

REGION = {"regulated-industry": "eu-central-1", "startup-mvp": "us-east-1"}
OVERRIDES = {"regulated-industry": {}, "startup-mvp": {"runtime": "eks"}}
"""startup-mvp runs its gateway on Fargate (tests/components/test_gateway_fargate.py); here it is the hosted-only,
internet-facing platform on EKS, beside the private, self-hosted regulated one."""


@pytest.fixture(scope="module", params=["regulated-industry", "startup-mvp"])
def graph(request: pytest.FixtureRequest, graph_of) -> ResourceGraph:
    if not OVERRIDES[request.param]:
        return graph_of(request.param, "prod")
    return build_graph(request.param, "prod", overrides=OVERRIDES[request.param])


def spec_of(preset: str) -> PlatformSpec:
    return load_spec(preset, "prod", OVERRIDES[preset])


def gateway_objects(graph: ResourceGraph, kind: str) -> list[dict]:
    return [kubernetes_object(r) for r in graph.resources if r.type.endswith(f":{kind}")
            and kubernetes_object(r).get("metadata", {}).get("namespace") == "gateway"]


def preset_of(graph: ResourceGraph) -> str:
    return next(v for k, v in graph.stack_config.items() if k.endswith(":preset"))


def test_every_gateway_object_is_valid(graph: ResourceGraph) -> None:
    objects = [kubernetes_object(r) for r in graph.resources if r.type.startswith("kubernetes:")
               and r.type != "kubernetes:helm.sh/v3:Release"
               and (kubernetes_object(r).get("metadata", {}).get("namespace") == "gateway"
                    or r.name.endswith("gateway-namespace"))]
    assert len(objects) >= 9
    assert [problem for manifest in objects for problem in validate_manifest(manifest)] == []


def _one(graph: ResourceGraph, resource_type: str, region: str) -> dict:
    [record] = [r for r in graph.of_type(resource_type) if r.region == region]
    return record.inputs


def test_alb_is_https_with_waf_access_logs_and_hardened_attributes(graph: ResourceGraph) -> None:
    preset = preset_of(graph)
    region = REGION[preset]
    balancer = _one(graph, "aws:lb/loadBalancer:LoadBalancer", region)
    assert balancer["internal"] is (preset == "regulated-industry")
    assert balancer["dropInvalidHeaderFields"] is True and balancer["loadBalancerType"] == "application"
    assert balancer["accessLogs"]["enabled"] is True and "-alb-logs-" in balancer["accessLogs"]["bucket"]
    assert balancer["enableDeletionProtection"] is spec_of(preset).deletion_protection
    listeners = {r.inputs["port"]: r.inputs for r in graph.of_type("aws:lb/listener:Listener") if r.region == region}
    assert listeners[443]["protocol"] == "HTTPS"
    assert listeners[443]["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listeners[443]["certificateArn"].startswith("arn:aws:acm:")
    assert listeners[80]["defaultActions"] == [{"type": "redirect", "redirect": {
        "protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]
    association = _one(graph, "aws:wafv2/webAclAssociation:WebAclAssociation", region)
    assert association["webAclArn"].startswith("arn:aws:wafv2:")
    assert association["resourceArn"].startswith(f"arn:aws:elasticloadbalancing:{region}:")


def test_alb_admits_clients_on_443_and_80_and_reaches_only_the_gateway_port(graph: ResourceGraph) -> None:
    preset = preset_of(graph)
    rules = [r.inputs for r in graph.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if "-alb-in-" in r.name]
    assert {r["fromPort"] for r in rules} == {80, 443}
    cidrs = {r["cidrIpv4"] for r in rules}
    # regulated-industry prod: internal, both regions' VPCs (clients keep working after a failover).
    assert cidrs == ({"0.0.0.0/0"} if preset == "startup-mvp" else {"10.0.0.0/16", "10.1.0.0/16"})
    egress = [r.inputs for r in graph.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
              if "-alb-out-" in r.name and "-alb-out-idp" not in r.name]
    assert egress and all(r["referencedSecurityGroupId"].startswith("sg-") and r["fromPort"] == r["toPort"]
                          for r in egress)
    # With gateway.sso the ALB also calls the IdP, on 443 to exactly the spec's networks (tests/gateway/test_sso.py).
    sso = spec_of(preset).gateway.sso
    idp = {(r.inputs["cidrIpv4"], r.inputs["fromPort"], r.inputs["toPort"]) for r in graph.of_type(
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") if "-alb-out-idp" in r.name}
    assert idp == ({(cidr, 443, 443) for cidr in sso.idp_cidrs or ["0.0.0.0/0"]} if sso else set())


def test_pods_are_bound_to_the_gateway_target_group(graph: ResourceGraph) -> None:
    region = REGION[preset_of(graph)]
    [group] = [r.inputs for r in graph.of_type("aws:lb/targetGroup:TargetGroup") if r.region == region
               and r.name.endswith("-tg-gateway")]
    assert (group["targetType"], group["port"], group["healthCheck"]["path"]) == ("ip", 4000, "/health/liveliness")
    [binding] = [kubernetes_object(r) for r in graph.resources if r.type.endswith(":TargetGroupBinding")
                 and r.region == region and r.inputs["metadata"]["namespace"] == "gateway"]
    assert binding["spec"]["serviceRef"] == {"name": "litellm", "port": 4000}
    assert f":targetgroup/{group['name']}/" in binding["spec"]["targetGroupARN"]


def test_unhealthy_alarm_watches_the_gateway_target_group(graph: ResourceGraph) -> None:
    region = REGION[preset_of(graph)]
    alarm = next(r.inputs for r in graph.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if r.region == region
                 and r.inputs["name"].endswith("-gateway-unhealthy"))
    assert (alarm["namespace"], alarm["metricName"], alarm["statistic"]) == (
        "AWS/ApplicationELB", "HealthyHostCount", "Minimum")
    assert alarm["dimensions"]["TargetGroup"].startswith("targetgroup/")
    assert alarm["dimensions"]["LoadBalancer"].startswith("app/")
    assert alarm["treatMissingData"] == "breaching" and alarm["alarmActions"][0].startswith("arn:aws:sns:")


def test_waf_has_managed_rules_and_a_rate_rule(graph: ResourceGraph) -> None:
    acls = [r for r in graph.resources if r.type == "aws:wafv2/webAcl:WebAcl"]
    assert acls and all(acl.inputs["scope"] == "REGIONAL" for acl in acls)
    rules = {rule["name"]: rule for rule in acls[0].inputs["rules"]}
    assert rules["rate-per-ip"]["statement"]["rateBasedStatement"]["limit"] == 2000
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= set(rules)
    overrides = rules["AWSManagedRulesCommonRuleSet"]["statement"]["managedRuleGroupStatement"]["ruleActionOverrides"]
    assert overrides == [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]


def test_log_buckets_follow_the_bucket_rules(graph: ResourceGraph) -> None:
    buckets = {r.name for r in graph.resources if r.type == "aws:s3/bucket:Bucket" and "alb-logs" in r.name}
    assert buckets
    for kind in ("bucketVersioning:BucketVersioning", "bucketPublicAccessBlock:BucketPublicAccessBlock",
                 "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                 "bucketPolicy:BucketPolicy"):
        assert buckets <= {r.name for r in graph.resources if r.type == f"aws:s3/{kind}"}
    logged = {r.name for r in graph.resources if r.type == "aws:s3/bucketLogging:BucketLogging"}
    assert {name for name in buckets if name.endswith("alb-logs")} <= logged
    policies = [json.loads(r.inputs["policy"]) for r in graph.resources if r.type == "aws:s3/bucketPolicy:BucketPolicy"
                and "alb-logs" in r.name]
    assert all(any(s["Sid"] == "DenyInsecureTransport" for s in policy["Statement"]) for policy in policies)


def test_litellm_runs_the_pinned_image_with_one_worker_per_vcpu(graph: ResourceGraph) -> None:
    spec = spec_of(preset_of(graph))
    deployment = gateway_objects(graph, "Deployment")[0]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    ref = IMAGES["litellm"].ref
    if egress_mode(spec) == "nat":
        assert container["image"] == ref
    else:  # no internet: pulled through the region's ECR pull-through cache (blueprints/catalog/registries.py)
        registry, _, path = container["image"].partition("/")
        assert registry.startswith(f"{ACCOUNT_ID}.dkr.ecr.") and path == pull_through_path(ref)
    assert container["args"][-2:] == ["--num_workers", str(spec.gateway.cpu)]
    assert container["resources"]["limits"]["cpu"] == str(spec.gateway.cpu)
    secret_refs = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if "valueFrom" in e}
    assert secret_refs == {"LITELLM_MASTER_KEY": "litellm-master-key", "REDIS_PASSWORD": "valkey-auth",
                           **{env: "provider-keys" for env in provider_credentials(spec)}}
    hpa = gateway_objects(graph, "HorizontalPodAutoscaler")[0]["spec"]
    sizing = gateway_sizing(spec)
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (sizing.replicas, sizing.max_replicas)
    assert gateway_objects(graph, "PodDisruptionBudget")


def test_config_map_is_the_generated_config(graph: ResourceGraph) -> None:
    preset = preset_of(graph)
    spec = spec_of(preset)
    config_map = next(m for m in gateway_objects(graph, "ConfigMap")
                      if m["metadata"].get("annotations", {}).get(ARTIFACT_ANNOTATION) == "litellm-config")
    assert config_map["metadata"]["labels"]["app.kubernetes.io/name"] == "litellm"
    config = yaml.safe_load(config_map["data"][CONFIG_KEY])
    # Models behind the inference gateway are addressed there, as the gateway component does.
    expected = litellm_config(spec, REGION[preset], {m.name: routed_base_url(m.name) for m in routed_models(spec)})
    assert [m["model_name"] for m in config["model_list"]] == [m["model_name"] for m in expected["model_list"]]
    assert config["router_settings"] == expected["router_settings"]
    assert "litellm_hooks.py" in config_map["data"]


def test_bedrock_access_is_limited_to_the_configured_models(graph: ResourceGraph) -> None:
    """The proxy's role may invoke exactly the configured Bedrock models, and write only its audit prefix."""
    policies = [json.loads(r.inputs["policy"]) for r in graph.resources if r.type == "aws:iam/rolePolicy:RolePolicy"
                and r.name.endswith("-gateway")]
    statements = [s for policy in policies for s in policy["Statement"]]
    audit = [arn for s in statements if s["Action"] == ["s3:PutObject"] for arn in s["Resource"]]
    assert audit and all(arn.endswith("/gateway-requests/*") for arn in audit)
    bedrock = [s for s in statements if any(a.startswith("bedrock:") for a in s["Action"])]
    if preset_of(graph) == "regulated-industry":
        assert bedrock == []
        return
    # Both models are served only through inference profiles: the US profiles, and the models in the Regions they
    # route to (tests/identity/test_bedrock_access.py evaluates the policy as IAM does).
    resources = {arn for s in bedrock for arn in s["Resource"]}
    haiku, sonnet = "anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0"
    assert resources == {
        f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{haiku}",
        f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{sonnet}",
        *(f"arn:aws:bedrock:{where}::foundation-model/{haiku}" for where in ("us-east-1", "us-east-2", "us-west-2")),
        *(f"arn:aws:bedrock:{where}::foundation-model/{sonnet}"
          for where in ("us-east-1", "us-east-2", "us-west-1", "us-west-2"))}


def test_load_balancer_controller_has_no_wildcard_action(graph: ResourceGraph) -> None:
    releases = [r for r in graph.resources if r.type == "kubernetes:helm.sh/v3:Release"
                and r.inputs.get("name") == "aws-load-balancer-controller"]
    assert releases
    policies = [json.loads(r.inputs["policy"]) for r in graph.resources if r.type == "aws:iam/rolePolicy:RolePolicy"
                and "lb-controller" in r.name]
    actions = [a for policy in policies for s in policy["Statement"] for a in s["Action"]]
    assert actions and not any(a == "*" or a.endswith(":*") for a in actions)


def test_load_balancer_controller_only_registers_targets_of_the_platform(graph: ResourceGraph) -> None:
    """The ALB is Pulumi's: the controller cannot create or change load balancers, only bind our target groups."""
    policies = [json.loads(r.inputs["policy"]) for r in graph.resources if r.type == "aws:iam/rolePolicy:RolePolicy"
                and "lb-controller" in r.name]
    writes = {a for policy in policies for s in policy["Statement"] for a in s["Action"]
              if not a.split(":")[1].startswith(("Describe", "Get"))}
    assert writes == {"elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"}
    targets = {r for policy in policies for s in policy["Statement"] if "elasticloadbalancing:RegisterTargets"
               in s["Action"] for r in s["Resource"]}
    assert targets and all(":targetgroup/" in arn for arn in targets)


def test_a_single_region_with_a_hosted_zone_gets_its_client_name_as_an_alias_of_the_alb() -> None:
    graph = build_graph("startup-mvp", "dev", overrides={"gateway": {"hosted_zone_id": "Z0123456789ABC"}})
    [balancer] = graph.of_type("aws:lb/loadBalancer:LoadBalancer")
    records = [r.inputs for r in graph.of_type("aws:route53/record:Record")]
    alias = next(r for r in records if r["type"] == "A")
    assert (alias["zoneId"], alias["name"]) == ("Z0123456789ABC", "llm.mvp.example.com")
    assert alias["aliases"] == [{"name": balancer.outputs["dnsName"], "zoneId": balancer.outputs["zoneId"],
                                 "evaluateTargetHealth": True}]
    assert any(r["type"] == "CNAME" for r in records)  # the certificate's validation record, same zone
