"""Model serving in the resource graph: objects per model version, pod identity scope, and rollout: canary
weights, and rollback (candidate removed / active switched back) restoring the previous objects exactly."""

from __future__ import annotations

import json
from typing import Any

from blueprints.engine.graph import ResourceGraph
from blueprints.engine.program import build_graph
from blueprints.presets import load_spec
from blueprints.serving.manifests import service_url

_graphs: dict[str, ResourceGraph] = {}


def corp_small(**versions: Any) -> ResourceGraph:
    """internal-ai dev with corp-small's versions overridden (preset: 2026-10-01 + canary 2026-11-01 at 10%)."""
    key = json.dumps(versions, sort_keys=True)
    if key not in _graphs:
        _graphs[key] = build_graph("internal-ai", "dev",
                                   overrides={"serving": {"models": [{}, {"versions": versions}]}})
    return _graphs[key]


def rendered(graph: ResourceGraph, name_part: str = "") -> dict[tuple[str, str], dict]:
    """The Kubernetes objects ModelServing renders: (type, logical name) -> manifest."""
    return {(r.type, r.name): r.inputs for r in graph.resources
            if r.type.startswith("kubernetes:") and "blueprints:serving:ModelServing" in r.urn
            and name_part in r.name}


def kinds(graph: ResourceGraph, kind: str) -> dict[str, dict]:
    return {m["metadata"]["name"]: m for (t, _), m in rendered(graph).items() if t.endswith(f":{kind}")}


def test_one_deployment_service_pdb_and_scaled_object_per_version(graph_of):
    graph = graph_of("internal-ai", "prod")
    assert sorted(kinds(graph, "Deployment")) == ["corp-large-2026-11-01", "corp-small-2026-10-01",
                                                  "corp-small-2026-11-01"]
    assert sorted(kinds(graph, "ScaledObject")) == sorted(kinds(graph, "Deployment"))
    assert sorted(kinds(graph, "Service")) == ["corp-large", "corp-large-2026-11-01", "corp-small",
                                               "corp-small-2026-10-01", "corp-small-2026-11-01"]
    # In prod the canary keeps the two-replica floor, so it has a disruption budget too.
    assert sorted(kinds(graph, "PodDisruptionBudget")) == sorted(kinds(graph, "Deployment"))
    options = kinds(graph, "ConfigMap")["corp-small-2026-11-01-options"]
    assert options["metadata"]["annotations"] == {"blueprints.io/artifact-kind": "trtllm-options"}
    image = kinds(graph, "Deployment")["corp-large-2026-11-01"]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "123456789012.dkr.ecr.us-east-1.amazonaws.com/corp-prod/trtllm-serve:1.3.0rc24-2"


def test_pod_identity_reads_only_its_own_prefix(graph_of):
    graph = graph_of("internal-ai", "prod")
    policy = json.loads(next(r for r in graph.resources if r.type == "aws:iam/rolePolicy:RolePolicy"
                             and r.name == "corp-prod-use1-model-corp-small").inputs["policy"])
    actions = {action for statement in policy["Statement"] for action in statement["Action"]}
    assert actions == {"s3:ListBucket", "s3:GetObject", "kms:Decrypt"}
    read = next(s for s in policy["Statement"] if s["Sid"] == "ReadOwnPrefix")["Resource"]
    assert len(read) == 1 and read[0].endswith("/models/corp-small/*")
    listing = next(s for s in policy["Statement"] if s["Sid"] == "ListOwnPrefix")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["models/corp-small/", "models/corp-small/*"]}}
    association = next(r for r in graph.resources if r.type == "aws:eks/podIdentityAssociation:PodIdentityAssociation"
                       and r.name == "corp-prod-use1-model-corp-small")
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == ("models", "corp-small")


def test_keda_chart_is_pinned_and_hosted_only_presets_get_no_serving(graph_of):
    release = next(r for r in graph_of("internal-ai", "prod").resources
                   if r.type == "kubernetes:helm.sh/v3:Release" and r.name == "corp-prod-use1-keda")
    assert (release.inputs["chart"], release.inputs["version"]) == ("keda", "2.20.2")
    assert not rendered(graph_of("startup-mvp", "prod"))


def test_canary_weights_go_to_the_gateway_per_version():
    spec = load_spec("internal-ai", "dev")
    graph = corp_small(stable="2026-10-01", candidate="2026-11-01", candidate_weight=25)
    scaled = kinds(graph, "ScaledObject")
    wake = {name: next(t for t in s["spec"]["triggers"] if t["name"] == "gateway-requests")["metadata"]["query"]
            for name, s in scaled.items() if name.startswith("corp-small")}
    assert wake["corp-small-2026-10-01"].endswith("* 0.75") and wake["corp-small-2026-11-01"].endswith("* 0.25")
    service = kinds(graph, "Service")
    assert service["corp-small"]["spec"]["selector"]["blueprints.io/model-version"] == "2026-10-01"
    assert service["corp-small-2026-11-01"]["spec"]["selector"]["blueprints.io/model-version"] == "2026-11-01"
    assert service_url(spec, "corp-small") == "http://corp-small.models.svc.cluster.local:8000/v1"


def test_a_canary_adds_only_the_candidate_and_removing_it_restores_the_rest(graph_of):
    before = corp_small(stable="2026-10-01", candidate=None, candidate_weight=0)
    canary = graph_of("internal-ai", "dev")  # the preset: 2026-11-01 at 10%
    added = set(rendered(canary)) - set(rendered(before))
    assert added and all("corp-small-2026-11-01" in name for _, name in added)
    assert set(rendered(before)) <= set(rendered(canary))
    # Besides the candidate's own objects, only the stable version's traffic share (its wake-up query) moves:
    # dropping the candidate again gives back exactly the objects before the canary.
    changed = {key for key, manifest in rendered(before).items() if rendered(canary)[key] != manifest}
    assert changed == {("kubernetes:keda.sh/v1alpha1:ScaledObject", "corp-dev-use1-corp-small-2026-10-01")}


def test_weight_zero_is_a_one_line_rollback_of_the_stable_objects():
    before = corp_small(stable="2026-10-01", candidate=None, candidate_weight=0)
    zero = corp_small(stable="2026-10-01", candidate="2026-11-01", candidate_weight=0)
    assert rendered(zero, "corp-small-2026-10-01") == rendered(before, "corp-small-2026-10-01")
    assert rendered(zero, "corp-small") != rendered(before, "corp-small")  # the idle candidate is still deployed


def test_blue_green_switch_and_switch_back():
    before = corp_small(stable="2026-10-01", candidate=None, candidate_weight=0)
    green = corp_small(candidate_weight=0, strategy="blue-green", active="candidate")
    blue = corp_small(candidate_weight=0, strategy="blue-green", active="stable")

    def selected(graph: ResourceGraph) -> str:
        return kinds(graph, "Service")["corp-small"]["spec"]["selector"]["blueprints.io/model-version"]

    assert (selected(green), selected(blue)) == ("2026-11-01", "2026-10-01")
    # Only the model Service and the traffic share in the wake-up queries change with the switch.
    changed = {key for key in rendered(blue) if rendered(blue)[key] != rendered(green).get(key)}
    assert {name for _, name in changed} == {"corp-dev-use1-corp-small", "corp-dev-use1-corp-small-2026-10-01",
                                             "corp-dev-use1-corp-small-2026-11-01"}
    assert {t for t, _ in changed} == {"kubernetes:core/v1:Service", "kubernetes:keda.sh/v1alpha1:ScaledObject"}
    # Switching back leaves the stable version's objects exactly as they were before the candidate existed.
    assert rendered(blue, "corp-small-2026-10-01") == rendered(before, "corp-small-2026-10-01")
    assert kinds(blue, "Service")["corp-small"] == kinds(before, "Service")["corp-small"]


def test_each_version_syncs_its_own_prefix_of_the_region_artifacts_bucket(graph_of):
    """MODEL_SOURCE is built from the bucket's name, an Output until deployment (the generator maps it through
    `apply`): the resolved value names the bucket the graph creates in the same region and the version's prefix."""
    graph = graph_of("internal-ai", "prod")
    buckets = {r.name: r.inputs["bucket"] for r in graph.of_type("aws:s3/bucket:Bucket")
               if "blueprints:serving:ModelArtifacts" in r.urn}
    deployments = [r for r in graph.of_type("kubernetes:apps/v1:Deployment")
                   if "blueprints:serving:ModelServing" in r.urn]
    assert len(deployments) == 3  # corp-large, and corp-small's stable and canary
    for record in deployments:
        name = record.inputs["metadata"]["name"]
        region_prefix = record.name.removesuffix(f"-{name}")
        model, version = name.split("-20", 1)
        env = {e["name"]: e.get("value") for e in record.inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["MODEL_SOURCE"] == f"s3://{buckets[f'{region_prefix}-models']}/models/{model}/20{version}/"
