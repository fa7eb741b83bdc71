"""The offline engine runs the real program under mocks and records the graph faithfully."""

from __future__ import annotations

from blueprints.engine.program import build_graph


def test_graph_records_parents_dependencies_providers_and_regions(graph_of):
    graph = graph_of("enterprise-assistant", "prod")
    index = graph.by_urn()
    cluster = next(r for r in graph.resources if r.type == "aws:eks/cluster:Cluster")
    assert index[cluster.parent].type == "blueprints:cluster:Cluster"
    assert cluster.dependencies, "explicit depends_on (role attachment, log group) is recorded"
    assert cluster.provider and "pulumi:providers:aws" in cluster.provider
    assert cluster.region == "us-east-1"
    node_pool = next(r for r in graph.resources if r.type == "kubernetes:karpenter.sh/v1:NodePool")
    assert "pulumi:providers:kubernetes" in node_pool.provider
    assert node_pool.region == "us-east-1"


def test_mock_outputs_flow_into_dependent_inputs(graph_of):
    graph = graph_of("enterprise-assistant", "prod")
    key_arns = {r.outputs["arn"] for r in graph.resources if r.type == "aws:kms/key:Key"}
    cluster = next(r for r in graph.resources if r.type == "aws:eks/cluster:Cluster")
    assert cluster.inputs["encryptionConfig"]["provider"]["keyArn"] in key_arns
    subnets = {r.outputs["id"] for r in graph.resources if r.type == "aws:ec2/subnet:Subnet"}
    assert set(cluster.inputs["vpcConfig"]["subnetIds"]) <= subnets


def test_stack_outputs_are_exported(graph_of):
    graph = graph_of("regulated-industry", "prod")
    assert graph.stack_outputs["preset"] == "regulated-industry"
    assert set(graph.stack_outputs["regions"]) == {"eu-central-1", "eu-north-1"}


def test_programs_run_back_to_back_in_one_process():
    first = build_graph("startup-mvp", "dev")
    second = build_graph("startup-mvp", "dev")
    assert [r.urn for r in first.resources] == [r.urn for r in second.resources]


def test_regulated_prod_plans_both_regions(graph_of):
    # How long this takes is a figure of `make bench` (bench/plan_time.py), not a test.
    graph = graph_of("regulated-industry", "prod")
    assert {r.region for r in graph.resources if r.custom} == {"eu-central-1", "eu-north-1"}


def test_a_graph_builds_after_asyncio_run_left_no_current_event_loop():
    """asyncio.run() (the eval runner, an async HTTP client) ends by unsetting the thread's event loop; Pulumi's
    runtime asks for the current one, so the next in-process plan failed with "There is no current event loop"."""
    import asyncio

    asyncio.run(asyncio.sleep(0))
    assert build_graph("startup-mvp", "dev").resources
