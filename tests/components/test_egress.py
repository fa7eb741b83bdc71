"""Private presets do not reach the internet: every AWS API their workloads call has a VPC endpoint, no workload
subnet routes to an internet gateway except through AWS Network Firewall, and with an egress allowlist the firewall
admits exactly the allowlisted domains. Checked on the planned graphs with the egress contract."""

from __future__ import annotations

import pytest

from blueprints.catalog.aws_prices import PRICES_AS_OF
from blueprints.catalog.instances import HOURS_PER_MONTH
from blueprints.catalog.registries import PULL_THROUGH, pull_through_path, split_image
from blueprints.components.network import GATEWAY_ENDPOINTS, endpoint_services
from blueprints.contracts.egress import egress_contract_problems, egress_reports, endpoint_exposure_problems
from blueprints.engine.program import build_graph
from blueprints.plan import build_plan
from blueprints.presets import ENVIRONMENTS, load_spec
from blueprints.render import HELM_RELEASE
from tests.conftest import PRESETS
from tests.support.helm import render_release

PRIVATE = [preset for preset in PRESETS if load_spec(preset, "dev").is_private]
PRIVATE_ENVS = [(preset, env) for preset in PRIVATE for env in ENVIRONMENTS]
ALLOWLIST = ["huggingface.co", ".example.com"]
PULL_THROUGH_RULE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"


def test_the_private_presets_are_the_ones_without_an_internet_facing_gateway() -> None:
    assert PRIVATE == ["internal-ai", "regulated-industry"]


@pytest.mark.parametrize(("preset", "env"), PRIVATE_ENVS)
def test_private_preset_has_no_way_to_the_internet(graph_of, preset: str, env: str) -> None:
    graph = graph_of(preset, env)
    for report in egress_reports(graph, private=True):
        assert report.open_paths == [], report.region
        assert report.filtered_paths == [], report.region
        assert report.open_security_groups == [], report.region
    assert not graph.of_type("aws:ec2/natGateway:NatGateway", "aws:ec2/internetGateway:InternetGateway",
                             "aws:ec2/eip:Eip")


@pytest.mark.parametrize(("preset", "env"), PRIVATE_ENVS)
def test_private_preset_has_an_endpoint_for_every_call_and_no_other(graph_of, preset: str, env: str) -> None:
    """The endpoints the network creates (from the spec) are exactly the services the graph's IAM calls."""
    for report in egress_reports(graph_of(preset, env), private=True):
        assert report.unknown == {}
        assert report.missing_endpoints == set(), report.region
        assert report.unused_endpoints == set(), report.region
        assert report.problems() == []


def test_only_karpenter_calls_services_without_an_endpoint_and_it_runs_isolated(graph_of) -> None:
    """IAM, Pricing and ARC zonal shift have no VPC endpoint; Karpenter's controller is the one caller, and in a VPC
    without internet it runs with `settings.isolatedVPC` (karpenter chart 1.14.1 values.yaml: no pricing look-ups)."""
    graph = graph_of("internal-ai", "prod")
    for report in egress_reports(graph, private=True):
        assert {role for roles in report.unreachable.values() for role in roles} == {"corp-prod-use1-karpenter"}
    [release] = [r for r in graph.resources if r.type.startswith("kubernetes:helm.sh/") and "karpenter" in r.name
                 and "crd" not in r.name]
    assert release.inputs["values"]["settings"]["isolatedVPC"] is True


def test_the_contract_catches_an_internet_route_and_missing_endpoints(graph_of) -> None:
    """The same contract over an internet-facing preset, judged as if it were private: NAT paths and the calls
    that would have no endpoint are reported (the defect private presets had)."""
    [report] = egress_reports(graph_of("saas", "dev"), private=True)
    assert report.open_paths and all(path.endswith("-igw") for path in report.open_paths)
    assert {"ecr.api", "ecr.dkr", "sts", "kms", "eks-auth"} <= report.missing_endpoints
    assert any("open path to the internet" in problem for problem in report.problems())


@pytest.mark.parametrize(("preset", "env"), [(preset, env) for preset in PRESETS for env in ENVIRONMENTS])
def test_every_preset_is_clean_of_egress_contract_problems(graph_of, preset: str, env: str) -> None:
    assert egress_contract_problems(graph_of(preset, env), private=load_spec(preset, env).is_private) == []


def test_the_contract_catches_a_cluster_api_open_to_the_internet(graph_of) -> None:
    graph = graph_of("saas", "dev")
    [cluster] = graph.of_type("aws:eks/cluster:Cluster")
    wide_open = cluster.model_copy(update={"inputs": {**cluster.inputs, "vpcConfig": {
        **cluster.inputs["vpcConfig"], "publicAccessCidrs": ["0.0.0.0/0"]}}})
    defaulted = cluster.model_copy(update={"inputs": {**cluster.inputs, "vpcConfig": {
        key: value for key, value in cluster.inputs["vpcConfig"].items() if key != "publicAccessCidrs"}}})
    for record in (wide_open, defaulted):
        changed = graph.model_copy(update={"resources": [record]})
        [problem] = endpoint_exposure_problems(changed, private=False)
        assert "public to 0.0.0.0/0" in problem and "cluster.public_access_cidrs" in problem
    assert endpoint_exposure_problems(graph.model_copy(update={"resources": [cluster]}), private=True)
    assert endpoint_exposure_problems(graph.model_copy(update={"resources": [cluster]}), private=False) == []


@pytest.fixture(scope="module")
def allowlisted():
    return build_graph("internal-ai", "dev", overrides={"network": {"egress_allowlist": ALLOWLIST}})


def test_allowlist_sends_every_private_subnet_through_the_firewall(allowlisted) -> None:
    [report] = egress_reports(allowlisted, private=True)
    assert report.open_paths == []
    private_subnets = [r.name for r in allowlisted.of_type("aws:ec2/subnet:Subnet")
                       if r.inputs["tags"]["blueprints.io/tier"] == "private"]
    assert sorted(path.split(" -> ")[0] for path in report.filtered_paths) == sorted(private_subnets)
    for path in report.filtered_paths:
        hops = path.split(" -> ")
        assert "-egress[vpce-" in hops[1] and "-nat-" in hops[2] and hops[-1].endswith("-igw"), path
    assert report.problems() == []


def test_allowlist_firewall_admits_exactly_the_allowlisted_domains(allowlisted) -> None:
    [report] = egress_reports(allowlisted, private=True)
    assert list(report.firewall_domains.values()) == [ALLOWLIST]
    [group] = allowlisted.of_type("aws:networkfirewall/ruleGroup:RuleGroup")
    source = group.inputs["ruleGroup"]["rulesSource"]["rulesSourceList"]
    assert source["generatedRulesType"] == "ALLOWLIST" and source["targetTypes"] == ["TLS_SNI", "HTTP_HOST"]
    [policy] = allowlisted.of_type("aws:networkfirewall/firewallPolicy:FirewallPolicy")
    document = policy.inputs["firewallPolicy"]
    # Strict order with drop-established: whatever the allowlist does not pass is dropped.
    assert document["statefulEngineOptions"]["ruleOrder"] == "STRICT_ORDER"
    assert "aws:drop_established" in document["statefulDefaultActions"]
    assert document["statelessDefaultActions"] == ["aws:forward_to_sfe"]
    [firewall] = allowlisted.of_type("aws:networkfirewall/firewall:Firewall")
    firewall_subnets = {r.outputs["id"] for r in allowlisted.of_type("aws:ec2/subnet:Subnet")
                        if r.inputs["tags"]["blueprints.io/tier"] == "firewall"}
    assert {m["subnetId"] for m in firewall.inputs["subnetMappings"]} == firewall_subnets


def test_plan_prices_the_firewall_endpoints_and_the_private_endpoints_per_az(allowlisted) -> None:
    spec = load_spec("internal-ai", "dev", overrides={"network": {"egress_allowlist": ALLOWLIST}})
    costs = build_plan(spec, allowlisted, PRICES_AS_OF).costs
    [firewall] = [line for line in costs if line.item == "Firewall"]
    zones = spec.network.availability_zones
    # aws.amazon.com/network-firewall/pricing: $0.395 per endpoint-hour, one endpoint per AZ.
    assert firewall.usd_per_month == pytest.approx(0.395 * zones * HOURS_PER_MONTH)
    interface = [line for line in costs if line.item == "VpcEndpoint"]
    assert len(interface) == len(set(endpoint_services(spec)) - GATEWAY_ENDPOINTS)  # gateway endpoints are free
    assert all(line.usd_per_month == pytest.approx(0.01 * zones * HOURS_PER_MONTH) for line in interface)


@pytest.mark.parametrize("preset", PRIVATE)
def test_private_workloads_pull_every_image_from_the_regions_ecr(graph_of, preset: str) -> None:
    """Every image a private preset's Kubernetes objects name (containers, Helm `image` values) lives in the ECR of
    its region: under a pull-through rule's prefix there, or in one of the platform's own repositories."""
    graph = graph_of(preset, "prod")
    rules = {(r.region, r.inputs["ecrRepositoryPrefix"]): r
             for r in graph.of_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")}
    own = {(r.region, r.inputs["name"]) for r in graph.of_type("aws:ecr/repository:Repository")}
    images = _images(graph)
    assert len(images) >= 4
    for region, image in images:
        host, path = split_image(image)
        assert host == f"123456789012.dkr.ecr.{region}.amazonaws.com", image
        repository = path.rsplit(":", 1)[0]
        assert (region, path.split("/", 1)[0]) in rules or (region, repository) in own, image
    for rule in rules.values():
        upstream = next(u for u in PULL_THROUGH.values() if u.url == rule.inputs["upstreamRegistryUrl"])
        assert upstream.prefix == rule.inputs["ecrRepositoryPrefix"]
        credential = rule.inputs.get("credentialArn")
        assert bool(credential) == upstream.credential
        assert credential is None or ":secret:ecr-pullthroughcache/" in credential


def test_internet_facing_workloads_keep_their_public_images(graph_of) -> None:
    graph = graph_of("saas", "dev")
    assert not graph.of_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")
    assert any(image.startswith("ghcr.io/berriai/litellm:") for _, image in _images(graph))


def test_pull_through_paths_follow_ecr_naming() -> None:
    assert pull_through_path("ghcr.io/berriai/litellm:v1") == "github/berriai/litellm:v1"
    assert pull_through_path("otel/opentelemetry-collector-contrib:0.1") == \
        "docker-hub/otel/opentelemetry-collector-contrib:0.1"
    assert pull_through_path("postgres:16") == "docker-hub/library/postgres:16"
    assert pull_through_path("public.ecr.aws/docker/library/python:3") == "ecr-public/docker/library/python:3"
    assert pull_through_path("nvcr.io/nvidia/tritonserver:26.09") is None


def _images(graph) -> set[tuple[str, str]]:
    """(region, image) of every container and every Helm `image: {repository, tag}` value in the graph."""
    found = set()
    for record in graph.resources:
        if not record.type.startswith("kubernetes:"):
            continue
        found |= {(record.region, c["image"]) for c in _containers(record.inputs) if isinstance(c.get("image"), str)}
        image = (record.inputs.get("values") or {}).get("image")
        if isinstance(image, dict) and "repository" in image:
            found.add((record.region, f"{image['repository']}:{image.get('tag') or 'chart-default'}"))
    return found


def _containers(inputs: dict) -> list[dict]:
    spec = inputs.get("spec") or {}
    for key in ("jobTemplate", "template"):
        if isinstance(spec, dict) and key in spec:
            spec = spec[key].get("spec") or {}
    if isinstance(spec, dict) and "template" in spec:
        spec = spec["template"].get("spec") or {}
    return [*(spec.get("containers") or []), *(spec.get("initContainers") or [])] if isinstance(spec, dict) else []


@pytest.mark.parametrize("preset", PRIVATE)
def test_private_charts_render_only_images_from_the_regions_ecr(graph_of, preset: str) -> None:
    """Every container the private presets' Helm releases render with their pinned charts (the real consumer of
    the values), and every operand the GPU operator's rendered ClusterPolicy enables, names an image in the
    region's ECR: under a pull-through rule's prefix there, or in one of the platform's own (mirror) repositories."""
    graph = graph_of(preset, "dev")
    [region] = load_spec(preset, "dev").regions
    registry = f"123456789012.dkr.ecr.{region}.amazonaws.com"
    prefixes = {r.inputs["ecrRepositoryPrefix"] for r in graph.of_type(PULL_THROUGH_RULE)}
    own = {r.inputs["name"] for r in graph.of_type("aws:ecr/repository:Repository")}
    images: list[tuple[str, str]] = []
    for release in graph.of_type(HELM_RELEASE):
        objects = render_release(release).objects
        images += [(release.name, image) for image in _rendered_images(objects)]
        images += [(release.name, f"{operand['repository']}/{operand['image']}:{operand.get('version', '')}")
                   for policy in objects if policy.get("kind") == "ClusterPolicy"
                   for operand in policy["spec"].values()
                   if isinstance(operand, dict) and "repository" in operand and operand.get("enabled") is not False]
    assert any("gpu-operator" in name for name, _ in images)
    outside = []
    for name, image in images:
        host, path = split_image(image)
        repository = path.split("@", 1)[0].rsplit(":", 1)[0]
        if host != registry or not (path.split("/", 1)[0] in prefixes or repository in own):
            outside.append(f"{name}: {image}")
    assert outside == []


def _rendered_images(objects: list[dict]) -> set[str]:
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("containers", "initContainers") and isinstance(value, list):
                    found.update(c["image"] for c in value if isinstance(c, dict) and "image" in c)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(objects)
    return found
