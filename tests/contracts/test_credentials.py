"""The credential-placement contract: clean on every preset's prod graph, and it reports the two defects of
issue 16 (the Aurora admin secret synced into `retrieval`; the gateway master key as the batch API's client key)
when they are put back into a real graph."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from blueprints.batch.manifests import UPSTREAM_KEY_SECRET
from blueprints.components.secrets import external_secret
from blueprints.contracts.credentials import EXTERNAL_SECRET, credential_problems
from blueprints.engine.graph import ResourceGraph, ResourceRecord
from blueprints.evaluation.manifests import KEY_SECRET as EVAL_KEY_SECRET
from blueprints.feedback.manifests import GATEWAY_KEY_SECRET
from tests.conftest import PRESETS

GraphOf = Callable[[str, str], ResourceGraph]


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_keeps_admin_credentials_out_of_workload_pods(graph_of: GraphOf, preset: str) -> None:
    assert credential_problems(graph_of(preset, "prod")) == []


def _synced(name: str, namespace: str, arn: str, keys: dict[str, str | None]) -> ResourceRecord:
    manifest = external_secret(name, namespace, arn, keys)
    return ResourceRecord(type=EXTERNAL_SECRET, name=f"old-{namespace}-{name}", urn=f"urn:old:{name}", parent=None,
                          custom=True, provider=None, dependencies=[], inputs={key: manifest[key] for key in
                                                                               ("metadata", "spec")},
                          outputs={}, protect=False, region="us-east-1")


def test_the_old_secret_placement_is_reported(graph_of: GraphOf) -> None:
    graph = graph_of("internal-ai", "prod")
    [cluster] = [c for c in graph.of_type("aws:rds/cluster:Cluster") if c.name.endswith("-vectors")]
    master = cluster.outputs["masterUserSecrets"][0]["secretArn"]
    [gateway_key] = [r.outputs["arn"] for r in graph.of_type("aws:secretsmanager/secret:Secret")
                     if r.inputs["name"].endswith("/litellm-master-key")]
    resources = copy.deepcopy(graph.resources)
    # What the code synced before issue 16: the admin secret into `retrieval`, the master key as the API's keys.
    resources += [_synced("vector-db-admin", "retrieval", master, {"username": "username", "password": "password"}),
                  _synced("batch-credentials", "batch", gateway_key, {"api-keys": None, "upstream-api-key": None})]
    for record in resources:
        if record.type == "kubernetes:apps/v1:Deployment" and record.inputs["metadata"]["name"] == "batch-api":
            record.inputs["spec"]["template"]["spec"]["volumes"].append(
                {"name": "old", "secret": {"secretName": "batch-credentials"}})
    problems = credential_problems(graph.model_copy(update={"resources": resources}))
    assert len(problems) == 3, problems
    assert problems[0].startswith("old-retrieval-vector-db-admin") and "RDS-managed master secret" in problems[0]
    assert "gateway master key into Secret 'batch-credentials'" in problems[1]
    assert problems[2].startswith("corp-prod-use1-batch-deployment-batch-api") and "batch-credentials" in problems[2]


def test_platform_workloads_call_the_gateway_with_their_own_keys(graph_of: GraphOf) -> None:
    """Issue 22: the master key reaches only the gateway and the key reconciler; the batch worker, the eval runner's
    Jobs and the feedback quality worker read the virtual keys the reconciler writes into their own secrets."""
    readers = {UPSTREAM_KEY_SECRET: "batch", EVAL_KEY_SECRET: "eval", GATEWAY_KEY_SECRET: "quality"}
    seen = set()
    for preset in PRESETS:
        graph = graph_of(preset, "prod")
        names = {r.outputs["arn"]: r.inputs["name"] for r in graph.of_type("aws:secretsmanager/secret:Secret")}
        synced = {record.inputs["metadata"]["name"]: names.get(record.inputs["spec"]["data"][0]["remoteRef"]["key"])
                  for record in graph.of_type(EXTERNAL_SECRET)}
        for secret, workload in readers.items():
            if secret in synced:
                seen.add(secret)
                assert str(synced[secret]).endswith(f"/gateway-key-{workload}"), (preset, secret, synced[secret])
        assert credential_problems(graph) == [], preset
    assert seen == set(readers)  # every such workload is planned by some preset
