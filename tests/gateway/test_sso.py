"""Single sign-on for people (issue 22 s2): the admin UI's paths sit behind the ALB's authenticate-oidc action,
checked against the ELBv2 API itself (botocore's service model and a moto server) and against LiteLLM 1.81.16's
routes; API paths keep going straight to the gateway; bad SSO input fails in one line."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase

import boto3
import botocore.session
import pytest
from botocore.validate import ParamValidator

from blueprints.cli import main
from blueprints.gateway.alb_identity_auth import GROUP_TEAMS_FILE, KEYS_URL_VARIABLE, SIGNER_VARIABLE
from blueprints.gateway.sso import (
    ALB_CALLBACK_PATH,
    HUMAN_PATHS,
    MAX_CONDITION_VALUES,
    PEOPLE_MODEL_PATH,
    human_path_groups,
)
from blueprints.presets import load_spec
from tests.support.litellm_proxy import LITELLM

LITELLM_PROXY = next(LITELLM.parent.parent.glob("lib/python3*/site-packages/litellm/proxy"), None)
"""The pinned LiteLLM's proxy package (the Makefile's .venv-litellm)."""
ELBV2 = botocore.session.get_session().get_service_model("elbv2")


def _rules(graph) -> list:
    return graph.of_type("aws:lb/listenerRule:ListenerRule")


def _sso_rules(graph) -> list:
    return [rule for rule in _rules(graph) if rule.inputs["actions"][0]["type"] == "authenticate-oidc"]


def _api_shape(value, shape):
    """The graph's wire form (camelCase) in the ELBv2 API's member names: each key is the member whose name it is,
    ignoring case (`authenticateOidc` -> `AuthenticateOidcConfig` is the one member named after its shape)."""
    if shape.type_name == "structure":
        members = {name.lower(): name for name in shape.members}
        out = {}
        for key, item in value.items():
            name = members.get(key.lower()) or members[f"{key.lower()}config"]
            out[name] = _api_shape(item, shape.members[name])
        return out
    if shape.type_name == "list":
        return [_api_shape(item, shape.member) for item in value]
    return value


def test_regulated_ui_paths_authenticate_then_forward_to_the_gateway(graph_of) -> None:
    graph = graph_of("regulated-industry", "prod")
    spec = load_spec("regulated-industry", "prod")
    listeners = [r for r in graph.of_type("aws:lb/listener:Listener") if r.inputs["protocol"] == "HTTPS"]
    assert len(listeners) == len(spec.regions)
    for listener in listeners:
        region = listener.name.removesuffix("-alb-https")
        rules = [r for r in _sso_rules(graph) if r.inputs["listenerArn"] == listener.outputs["arn"]]
        assert sorted(p for rule in rules for c in rule.inputs["conditions"] for p in c["pathPattern"]["values"]) \
            == sorted(HUMAN_PATHS)
        [gateway_group] = [g for g in graph.of_type("aws:lb/targetGroup:TargetGroup")
                           if g.name == f"{region}-tg-gateway"]
        for rule in rules:
            oidc, forward = rule.inputs["actions"]
            assert oidc["authenticateOidc"]["issuer"] == spec.gateway.sso.issuer
            assert oidc["authenticateOidc"]["clientSecret"] == "[secret]"  # never plain in the graph
            assert forward == {"type": "forward", "order": 2, "targetGroupArn": gateway_group.outputs["arn"]}
        # Before every other rule of the listener.
        others = [r for r in _rules(graph) if r.inputs["listenerArn"] == listener.outputs["arn"] and r not in rules]
        assert max(r.inputs["priority"] for r in rules) < min(r.inputs["priority"] for r in others)


def test_the_actions_are_a_valid_create_rule_request_for_the_elbv2_api(graph_of) -> None:
    """botocore validates the request as the real client would: the required members of AuthenticateOidcActionConfig
    (Issuer, AuthorizationEndpoint, TokenEndpoint, UserInfoEndpoint, ClientId), types and the
    OnUnauthenticatedRequest enum. The API doc of Action: one routing action, performed last."""
    create = ELBV2.operation_model("CreateRule").input_shape
    assert "must be the last action to be performed" in ELBV2.shape_for("Action").documentation
    for rule in _sso_rules(graph_of("regulated-industry", "prod")):
        request = {"ListenerArn": rule.inputs["listenerArn"], "Priority": rule.inputs["priority"],
                   "Conditions": _api_shape(rule.inputs["conditions"], create.members["Conditions"]),
                   "Actions": _api_shape(rule.inputs["actions"], create.members["Actions"])}
        report = ParamValidator().validate(request, create)
        assert not report.has_errors(), report.generate_report()
        [routing] = [a for a in request["Actions"] if a["Type"] in ("forward", "redirect", "fixed-response")]
        assert routing["Order"] == max(a["Order"] for a in request["Actions"])
        assert len(request["Conditions"][0]["PathPatternConfig"]["Values"]) <= MAX_CONDITION_VALUES


def test_moto_creates_the_rule_and_reads_it_back(graph_of, moto_endpoint: str) -> None:
    elbv2 = boto3.client("elbv2", endpoint_url=moto_endpoint, region_name="eu-central-1",
                         aws_access_key_id="test", aws_secret_access_key="test")
    ec2 = boto3.client("ec2", endpoint_url=moto_endpoint, region_name="eu-central-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    vpc = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.61.{i}.0/24", AvailabilityZone=f"eu-central-1{z}")
               ["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
    balancer = elbv2.create_load_balancer(Name="sso-test", Subnets=subnets, Scheme="internal")["LoadBalancers"][0]
    group = elbv2.create_target_group(Name="sso-test-gateway", Protocol="HTTP", Port=4000, VpcId=vpc,
                                      TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    listener = elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=8443,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])
    listener_arn = listener["Listeners"][0]["ListenerArn"]
    create = ELBV2.operation_model("CreateRule").input_shape
    graph = graph_of("regulated-industry", "prod")
    first = next(r for r in graph.of_type("aws:lb/listener:Listener") if r.inputs["protocol"] == "HTTPS").outputs["arn"]
    for rule in (r for r in _sso_rules(graph) if r.inputs["listenerArn"] == first):
        actions = _api_shape(rule.inputs["actions"], create.members["Actions"])
        actions[0]["AuthenticateOidcConfig"]["ClientSecret"] = "from-secrets-manager"
        actions[1]["TargetGroupArn"] = group
        elbv2.create_rule(ListenerArn=listener_arn, Priority=rule.inputs["priority"], Actions=actions,
                          Conditions=_api_shape(rule.inputs["conditions"], create.members["Conditions"]))
    read = [r for r in elbv2.describe_rules(ListenerArn=listener_arn)["Rules"] if not r["IsDefault"]]
    assert sorted(p for r in read for p in r["Conditions"][0]["PathPatternConfig"]["Values"]) == sorted(HUMAN_PATHS)
    for rule in read:
        assert [a["Type"] for a in sorted(rule["Actions"], key=lambda a: a["Order"])] == \
            ["authenticate-oidc", "forward"]
        assert rule["Actions"][0]["AuthenticateOidcConfig"]["OnUnauthenticatedRequest"] == "authenticate"


def _routes(source: str) -> set[str]:
    text = (LITELLM_PROXY / source).read_text()
    return set(re.findall(r'@(?:router|app)\.(?:get|post)\(\s*"([^"]+)"', text))


def test_every_browser_route_of_litellm_is_covered_and_no_api_route_is() -> None:
    """LiteLLM 1.81.16's sign-in and SSO routes and the UI mount are human paths; /v1/* and the admin API (what
    virtual and master keys call) are not, so API clients never meet the IdP."""
    if LITELLM_PROXY is None:
        pytest.skip("LiteLLM missing: make .venv-litellm")
    server, sso = _routes("proxy_server.py"), _routes("management_endpoints/ui_sso.py")
    browser = {"/login", "/v2/login", "/fallback/login", "/onboarding/get_token", "/onboarding/claim_token",
               *(route for route in sso if route.startswith("/sso/"))}
    assert browser <= server | sso and len(browser) > 6
    assert 'app.mount("/ui", StaticFiles(' in (LITELLM_PROXY / "proxy_server.py").read_text()
    # People call models with their sign-in at /chat/completions, which LiteLLM serves beside /v1/chat/completions;
    # the gateway's endpoint (what API clients are given) is https://<host>/v1.
    assert {PEOPLE_MODEL_PATH, f"/v1{PEOPLE_MODEL_PATH}"} <= server
    for path in (*browser, "/ui", "/ui/", "/ui/index.html", "/_next/static/x.js", ALB_CALLBACK_PATH,
                 PEOPLE_MODEL_PATH):
        assert any(fnmatchcase(path.replace("{key_id}", "k"), pattern) for pattern in HUMAN_PATHS), path
    api = ["/v1/models", "/v1/chat/completions", "/v1/embeddings", "/key/generate", "/key/list", "/team/new",
           "/health/liveliness", "/metrics", "/v1/batches"]
    assert {"/key/generate", "/team/new", "/v1/models", "/health/liveliness"} <= server | _routes(
        "management_endpoints/key_management_endpoints.py") | _routes("management_endpoints/team_endpoints.py") | \
        _routes("health_endpoints/_health_endpoints.py")
    assert not [path for path in api if any(fnmatchcase(path, pattern) for pattern in HUMAN_PATHS)]


def test_path_groups_fit_the_alb_quota() -> None:
    groups = human_path_groups()
    assert [p for group in groups for p in group] == list(HUMAN_PATHS)
    assert all(1 <= len(group) <= MAX_CONDITION_VALUES for group in groups)


def test_the_load_balancer_reaches_the_idp_only_where_the_spec_says(graph_of) -> None:
    graph = graph_of("regulated-industry", "prod")
    egress = [r.inputs for r in graph.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
              if "-alb-out-idp" in r.name]
    regions = load_spec("regulated-industry", "prod").regions
    assert [(e["cidrIpv4"], e["fromPort"], e["toPort"]) for e in egress] == [("10.200.0.0/16", 443, 443)] * len(regions)


def test_the_client_secret_lives_in_secrets_manager_written_write_only(graph_of) -> None:
    graph = graph_of("regulated-industry", "prod")
    regions = load_spec("regulated-industry", "prod").regions
    secrets = [s for s in graph.of_type("aws:secretsmanager/secret:Secret") if s.name.endswith("sso-client-secret")]
    assert len(secrets) == len(regions) and all(s.inputs["kmsKeyId"] for s in secrets)
    versions = [v.inputs for v in graph.of_type("aws:secretsmanager/secretVersion:SecretVersion")
                if v.name.endswith("sso-client-secret")]
    assert versions == [{**v, "secretStringWo": "[secret]"} for v in versions] and len(versions) == len(regions)
    assert not [v for v in versions if "secretString" in v]


def test_presets_without_sso_have_no_sign_in_rules(graph_of) -> None:
    assert load_spec("saas", "prod").gateway.sso is None
    assert _sso_rules(graph_of("saas", "prod")) == []


SSO = ('gateway.sso={"issuer": "https://idp.example.com", "authorization_endpoint": "https://idp.example.com/a", '
       '"token_endpoint": "https://idp.example.com/t", "user_info_endpoint": "https://idp.example.com/u", '
       '"client_id": "gw"')


@pytest.mark.parametrize(("preset", "setting", "message"), [
    ("saas", SSO + ', "scope": "email profile"}', "scope 'email profile' lacks 'openid'"),
    ("saas", SSO + ', "token_endpoint": "http://idp.example.com/t"}', "gateway.sso.token_endpoint"),
    ("saas", SSO + ', "idp_cidrs": ["10.0.0.300/8"]}', "'10.0.0.300/8' is not a CIDR block"),
    ("regulated-industry", "gateway.sso.idp_cidrs=null",
     "gateway.sso.idp_cidrs: a private platform has no route to the internet"),
    ("regulated-industry", 'gateway.sso.group_teams={"llm-research": "research"}',
     "gateway.sso.group_teams.llm-research: 'research' is not a team in access.teams (allowed: claims, risk)"),
    ("regulated-industry", 'gateway.sso.groups_claim=""', "gateway.sso.groups_claim"),
])
def test_bad_sso_input_fails_in_one_line(capsys, preset: str, setting: str, message: str) -> None:
    assert main(["plan", "--preset", preset, "--env", "dev", "--set", setting]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err


def test_the_gateway_trusts_the_assertions_of_its_own_load_balancer(graph_of) -> None:
    """The gateway pod knows its ALB's ARN (the `signer` of x-amzn-oidc-data) and the region's ELB key endpoint
    (AWS docs, Authenticate users using an Application Load Balancer: public-keys.auth.elb.<region>.amazonaws.com),
    and its hooks carry the group mapping (alb_identity_auth.py reads it beside itself)."""
    graph = graph_of("regulated-industry", "prod")
    balancers = graph.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert len(balancers) == len(load_spec("regulated-industry", "prod").regions)
    for balancer in balancers:
        prefix, region = balancer.name.removesuffix("-alb"), balancer.outputs["arn"].split(":")[3]
        [gateway] = [d for d in graph.of_type("kubernetes:apps/v1:Deployment")
                     if d.name == f"{prefix}-gateway-deployment"]
        env = {e["name"]: e.get("value") for e in gateway.inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env[SIGNER_VARIABLE] == balancer.outputs["arn"]
        assert env[KEYS_URL_VARIABLE] == f"https://public-keys.auth.elb.{region}.amazonaws.com"
        [config] = [c for c in graph.of_type("kubernetes:core/v1:ConfigMap") if c.name == f"{prefix}-gateway-configmap"]
        assert json.loads(config.inputs["data"][GROUP_TEAMS_FILE]) == {"groups_claim": "groups", "group_teams": []}
        assert "alb_identity_auth.py" in config.inputs["data"]
