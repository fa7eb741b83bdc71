"""Every preset x environment validates and builds; each scenario keeps the invariants it promises."""

from __future__ import annotations

import pytest

from blueprints.presets import deep_merge, load_spec, preset_document
from tests.conftest import EKS_PRESETS, PRESET_ENVS


def types(graph, token):
    return [r for r in graph.resources if r.type == token]


@pytest.mark.parametrize(("preset", "env"), PRESET_ENVS)
def test_every_preset_and_environment_builds(graph_of, preset, env):
    graph = graph_of(preset, env)
    spec = load_spec(preset, env)
    # Every platform has a cluster but startup-mvp's, whose gateway runs on Fargate (test_gateway_fargate.py).
    assert bool(types(graph, "aws:eks/cluster:Cluster")) is (spec.runtime == "eks")
    assert len(types(graph, "aws:ec2/vpc:Vpc")) == len(spec.regions)
    assert {r.region for r in graph.resources if r.custom} == set(spec.regions)
    for cluster in types(graph, "aws:eks/cluster:Cluster"):
        assert cluster.inputs["encryptionConfig"]["resources"] == ["secrets"]
        assert set(cluster.inputs["enabledClusterLogTypes"]) >= {"api", "audit", "authenticator"}


@pytest.mark.parametrize("preset", EKS_PRESETS)
def test_prod_spans_three_azs_with_nat_per_az_and_protection(graph_of, preset):
    graph, spec = graph_of(preset, "prod"), load_spec(preset, "prod")
    assert spec.network.availability_zones >= 2
    private = [s for s in types(graph, "aws:ec2/subnet:Subnet") if s.inputs["tags"]["blueprints.io/tier"] == "private"]
    assert len(private) == 3 * len(spec.regions)
    # Private presets have no way to the internet at all (tests/components/test_egress.py).
    nat_per_region = 0 if spec.is_private else 3
    assert len(types(graph, "aws:ec2/natGateway:NatGateway")) == nat_per_region * len(spec.regions)
    assert all(c.inputs["deletionProtection"] for c in types(graph, "aws:eks/cluster:Cluster"))
    assert all(spec.min_replicas(m) >= 2 for m in spec.self_hosted_models)
    assert spec.gateway.replicas >= 2
    for group in types(graph, "aws:eks/nodeGroup:NodeGroup"):
        assert group.inputs["scalingConfig"]["minSize"] >= 2


@pytest.mark.parametrize("preset", EKS_PRESETS)
def test_dev_is_cheap_spot_single_nat_and_scales_to_zero(graph_of, preset):
    graph, spec = graph_of(preset, "dev"), load_spec(preset, "dev")
    assert len(types(graph, "aws:ec2/natGateway:NatGateway")) == (0 if spec.is_private else len(spec.regions))
    assert all(spec.min_replicas(m) == 0 for m in spec.self_hosted_models)
    for pool in types(graph, "kubernetes:karpenter.sh/v1:NodePool"):  # GPU pools and the batch workers' pool
        capacity = next(r for r in pool.inputs["spec"]["template"]["spec"]["requirements"]
                        if r["key"] == "karpenter.sh/capacity-type")
        assert capacity["values"][0] == "spot"


def test_startup_mvp_has_no_gpu_pool(graph_of):
    for env in ("dev", "prod"):
        graph = graph_of("startup-mvp", env)
        assert not types(graph, "aws:eks/cluster:Cluster")
        assert len(types(graph, "aws:ec2/natGateway:NatGateway")) == 1
        assert not types(graph, "kubernetes:karpenter.sh/v1:NodePool")
        assert not types(graph, "aws:sqs/queue:Queue")


@pytest.mark.parametrize("preset", ["enterprise-assistant", "internal-ai", "regulated-industry"])
def test_self_hosted_presets_get_a_gpu_nodepool_per_pool_with_limits_and_taints(graph_of, preset):
    spec = load_spec(preset, "prod")
    pools = [pool for pool in types(graph_of(preset, "prod"), "kubernetes:karpenter.sh/v1:NodePool")
             if "blueprints.io/gpu-pool" in pool.inputs["spec"]["template"]["metadata"]["labels"]]
    assert len(pools) == len(spec.cluster.gpu_pools) * len(spec.regions)
    for pool in pools:
        assert int(pool.inputs["spec"]["limits"]["nvidia.com/gpu"]) >= 1
        assert pool.inputs["spec"]["template"]["spec"]["taints"][0]["key"] == "nvidia.com/gpu"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_regulated_is_private_encrypted_and_resident(graph_of, env):
    graph, spec = graph_of("regulated-industry", env), load_spec("regulated-industry", env)
    for cluster in types(graph, "aws:eks/cluster:Cluster"):
        assert cluster.inputs["vpcConfig"]["endpointPublicAccess"] is False
        assert cluster.inputs["vpcConfig"]["endpointPrivateAccess"] is True
        assert cluster.inputs["encryptionConfig"]["provider"]["keyArn"].startswith("arn:aws:kms:")
    assert all(k.inputs["enableKeyRotation"] for k in types(graph, "aws:kms/key:Key"))
    endpoints = {e.inputs["serviceName"].split(".")[-1] for e in types(graph, "aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert {"s3", "sts", "secretsmanager", "logs", "api", "dkr"} <= endpoints
    assert set(spec.regions) <= set(spec.residency.allowed_regions)
    assert all(r.region.startswith("eu-") for r in graph.resources if r.custom)


def test_nodes_require_imdsv2_and_encrypted_volumes(graph_of):
    graph = graph_of("regulated-industry", "prod")
    for template in types(graph, "aws:ec2/launchTemplate:LaunchTemplate"):
        assert template.inputs["metadataOptions"]["httpTokens"] == "required"
        assert template.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
        assert template.inputs["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"
    for node_class in types(graph, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"):
        spec = node_class.inputs["spec"]
        assert spec["metadataOptions"]["httpTokens"] == "required"
        assert spec["blockDeviceMappings"][0]["ebs"]["encrypted"] is True


def test_names_that_must_be_unique_carry_the_region(graph_of):
    graph = graph_of("regulated-industry", "prod")
    index = graph.by_urn()
    names = [(r.type, r.name) for r in graph.resources if r.custom and r.type.startswith("aws:")]
    assert len(names) == len(set(names))
    # Budgets and anomaly monitors are account-wide, created once: their names carry no region.
    regional = [r for r in graph.resources if r.custom and r.type.startswith("aws:")
                and getattr(graph.top_component(r, index), "type", None) != "blueprints:cost:CostControls"]
    assert all(r.name.startswith(("reg-prod-euc1-", "reg-prod-eun1-")) for r in regional)
    clusters = {c.inputs["name"] for c in types(graph, "aws:eks/cluster:Cluster")}
    assert clusters == {"reg-prod-euc1-eks", "reg-prod-eun1-eks"}


def test_regions_get_non_overlapping_vpcs(graph_of):
    vpcs = sorted(v.inputs["cidrBlock"] for v in types(graph_of("regulated-industry", "prod"), "aws:ec2/vpc:Vpc"))
    assert vpcs == ["10.0.0.0/16", "10.1.0.0/16"]


def test_sizes_come_from_the_planner_unless_overridden():
    spec = load_spec("regulated-industry", "prod")
    large = spec.serving.models[0]
    assert large.max_replicas is not None and large.max_replicas >= spec.min_replicas(large)
    assert spec.cluster.gpu_pools[0].max_gpus % 4 == 0, "the large pool's limit is whole g6e.12xlarge nodes"
    pinned = load_spec("regulated-industry", "prod", {"serving": {"models": [{"max_replicas": 12}]}})
    assert pinned.serving.models[0].max_replicas == 12
    assert pinned.serving.models[1] == spec.serving.models[1]


def test_more_traffic_means_more_replicas():
    base = load_spec("internal-ai", "prod").serving.models[1].max_replicas
    busy = load_spec("internal-ai", "prod", {"serving": {"models": [{}, {"traffic": {"requests_per_second": 100}}]}})
    assert busy.serving.models[1].max_replicas > base


def test_overrides_merge_lists_of_mappings_by_index_and_replace_scalars():
    assert deep_merge({"a": [{"x": 1, "y": 2}, {"x": 3}]}, {"a": [{"y": 9}]}) == {"a": [{"x": 1, "y": 9}, {"x": 3}]}
    assert deep_merge({"r": ["a", "b"]}, {"r": ["c"]}) == {"r": ["c"]}
    assert deep_merge({"a": {"b": 1}}, {"a": {"c": 2}}) == {"a": {"b": 1, "c": 2}}


def test_environment_layers_apply_in_order():
    document = preset_document("saas", "prod")
    assert document["regions"] == ["us-east-1", "us-west-2"], "the preset's own prod block wins over its body"
    assert document["network"]["nat_gateways"] == "per-az", "the prod overlay applies"
    assert preset_document("saas", "dev")["regions"] == ["us-east-1"]


STARTUP_MVP_PROD_INVENTORY = {
    # (type, count) of startup-mvp prod, with why each is there. Before runtime fargate: 195 resources, $948/month
    # fixed (EKS control plane and system nodes, three NAT gateways, Valkey, External Secrets, Prometheus, ...).
    "pulumi:providers:aws": 1,  # the region's provider, default tags
    "aws:kms/key:Key": 3,  # logs and secrets keys (KeyRing, no aliases), the alert topic's own key
    "aws:ec2/vpc:Vpc": 1,
    "aws:ec2/internetGateway:InternetGateway": 1,
    "aws:ec2/subnet:Subnet": 4,  # public (ALB, NAT) and private (tasks) in two AZs (the ALB needs two)
    "aws:ec2/routeTable:RouteTable": 1,  # public: to the internet gateway
    "aws:ec2/routeTableAssociation:RouteTableAssociation": 2,
    "aws:ec2/defaultRouteTable:DefaultRouteTable": 1,  # the main table, private subnets: to the NAT gateway
    "aws:ec2/eip:Eip": 1,
    "aws:ec2/natGateway:NatGateway": 1,  # one, for the tasks' way out (they have no public address)
    "aws:ec2/securityGroup:SecurityGroup": 2,  # ALB, tasks
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 2,  # clients on 443; the ALB into the tasks
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": 1,  # the ALB to the tasks' port only
    "aws:acm/certificate:Certificate": 1,
    "aws:lb/loadBalancer:LoadBalancer": 1,
    "aws:lb/targetGroup:TargetGroup": 1,
    "aws:lb/listener:Listener": 1,  # HTTPS only: no port 80 at all
    "aws:wafv2/webAcl:WebAcl": 1,
    "aws:wafv2/webAclAssociation:WebAclAssociation": 1,
    "aws:cloudwatch/logGroup:LogGroup": 1,  # the gateway tasks' (KMS, retention); the WAF keeps metrics only
    "aws:cloudwatch/metricAlarm:MetricAlarm": 1,  # no healthy gateway target
    "aws:ecs/cluster:Cluster": 1,
    "aws:ecs/taskDefinition:TaskDefinition": 1,
    "aws:ecs/service:Service": 1,
    "aws:iam/role:Role": 1,  # the tasks' (logs, master key, Bedrock)
    "aws:secretsmanager/secret:Secret": 1,  # the gateway's master key
    "aws:secretsmanager/secretVersion:SecretVersion": 1,  # its value, generated in AWS, written write-only
    "aws:sns/topic:Topic": 1,  # budget and alarm notifications
    "aws:sns/topicPolicy:TopicPolicy": 1,
    "aws:budgets/budget:Budget": 1,
    "aws:costexplorer/costAllocationTag:CostAllocationTag": 2,  # the tags the budget filters on
}


def test_startup_mvp_prod_is_the_smallest_slice(graph_of):
    """Issue 19 s5: no EKS, one NAT, at most 40 resources; each type is listed above with its reason."""
    graph = graph_of("startup-mvp", "prod")
    counts: dict[str, int] = {}
    for resource in (r for r in graph.resources if r.custom):
        counts[resource.type] = counts.get(resource.type, 0) + 1
    assert counts == STARTUP_MVP_PROD_INVENTORY
    assert sum(counts.values()) <= 40
