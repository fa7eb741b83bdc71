"""The EKS API endpoint: private presets keep it inside the VPC; the others open it only to the CIDRs the spec
names, never to the whole internet, and `plan` refuses a spec that would (one line, exit 2)."""

from __future__ import annotations

import ipaddress

import pytest

from blueprints.cli import main
from blueprints.commands.check import check_graph
from blueprints.presets import load_spec
from tests.conftest import EKS_PRESET_ENVS

EKS = "aws:eks/cluster:Cluster"
PUBLIC_ENDPOINT_POLICIES = {"eks-public-endpoint-restricted", "eks-private-endpoint"}


@pytest.mark.parametrize(("preset", "env"), EKS_PRESET_ENVS)
def test_rendered_endpoint_config_follows_the_spec(graph_of, preset: str, env: str) -> None:
    spec = load_spec(preset, env)
    clusters = graph_of(preset, env).of_type(EKS)
    assert clusters
    for cluster in clusters:
        vpc = cluster.inputs["vpcConfig"]
        assert vpc["endpointPrivateAccess"] is True
        if spec.is_private:
            assert vpc["endpointPublicAccess"] is False, cluster.name
            assert not vpc.get("publicAccessCidrs"), cluster.name
        else:
            assert vpc["endpointPublicAccess"] is True, cluster.name
            assert vpc["publicAccessCidrs"] == spec.cluster.public_access_cidrs
            assert all(ipaddress.ip_network(cidr).prefixlen > 0 for cidr in vpc["publicAccessCidrs"])


@pytest.mark.parametrize("preset", ["saas", "enterprise-assistant"])
def test_baseline_pack_finds_no_open_cluster_endpoint(graph_of, preset: str) -> None:
    """The baseline pack's own EKS checks (the consumer reviewers run) pass on the public presets' clusters."""
    found = [f"{violation.policy}: {violation.message}" for result in check_graph(graph_of(preset, "prod"),
                                                                                 ["baseline"])
             for violation in result.violations if violation.policy == "eks-public-endpoint-restricted"]
    assert found == []


@pytest.mark.parametrize(("override", "expected"), [
    ("cluster.public_access_cidrs=[]", "cluster.public_access_cidrs: empty while cluster.endpoint_public_access"),
    ('cluster.public_access_cidrs=["0.0.0.0/0"]', "'0.0.0.0/0' opens the Kubernetes API to the whole internet"),
    ('cluster.public_access_cidrs=["203.0.113.0/24","::/0"]', "'::/0' opens the Kubernetes API"),
    ('cluster.public_access_cidrs=["203.0.113.7/24"]', "'203.0.113.7/24' is not a CIDR block"),
])
def test_plan_refuses_an_open_or_unnamed_public_endpoint(capsys, override: str, expected: str) -> None:
    assert main(["plan", "--preset", "saas", "--env", "dev", "--set", override]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "overrides.cluster.public_access_cidrs" in err and expected in err


def test_plan_refuses_a_public_endpoint_on_a_private_preset(capsys) -> None:
    args = ["plan", "--preset", "internal-ai", "--env", "dev", "--set", "cluster.endpoint_public_access=true",
            "--set", 'cluster.public_access_cidrs=["203.0.113.0/24"]']
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "cluster.endpoint_public_access: true is not allowed on a private platform" in err


def test_plan_refuses_an_allowlist_on_an_internet_facing_platform(capsys) -> None:
    assert main(["plan", "--preset", "saas", "--env", "dev", "--set",
                 'network.egress_allowlist=["huggingface.co"]']) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "network.egress_allowlist: only applies to private platforms" in err


@pytest.mark.parametrize("domain", ["https://huggingface.co", "*.example.com", "huggingface", "a..b.com"])
def test_plan_refuses_what_is_not_a_domain_in_the_allowlist(capsys, domain: str) -> None:
    assert main(["plan", "--preset", "internal-ai", "--env", "dev", "--set",
                 f'network.egress_allowlist=["{domain}"]']) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "network.egress_allowlist" in err and repr(domain) in err
