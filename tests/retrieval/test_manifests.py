"""The retrieval namespace's Kubernetes objects pass kubernetes-validate (strict, k8s 1.33)."""

from __future__ import annotations

import kubernetes_validate

from blueprints.catalog.embeddings import EMBEDDING_MODELS
from blueprints.retrieval.manifests import (
    artifact_config_map,
    bootstrap_network_policy,
    embeddings_objects,
    namespace,
    network_policies,
    schema_job,
)
from blueprints.versions import KUBERNETES_VERSION
from tests.support.schemas import validate_manifest


def _problems(manifest: dict) -> list[str]:
    """Built-in API groups named `*.k8s.io` go to kubernetes-validate (the shared helper sends every dotted
    group to the CRD schemas)."""
    if manifest["apiVersion"].split("/")[0].endswith(".k8s.io"):
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            return [f"{manifest['kind']}: {error.message}"]
        return []
    return validate_manifest(manifest)


def test_objects_are_valid_and_hardened() -> None:
    model = EMBEDDING_MODELS["bge-large-en-v1.5"]
    objects = [
        namespace("retrieval", {"blueprints.io/external-secrets": "allowed"}),
        *network_policies("retrieval", {"embeddings": [8080], "qdrant": [6333, 6334]}),
        *embeddings_objects(model, "retrieval", replicas=2),
        artifact_config_map("vector-schema-1", "retrieval", "sql-schema", {"schema.sql": "SELECT 1;"}),
        bootstrap_network_policy("retrieval-bootstrap", "10.0.0.0/16", 5432),
        schema_job("vector-schema-1", "retrieval-bootstrap", "vector-schema-1", region="us-east-1",
                   master_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-1-AbCdEf",
                   host="db.example", database="rag", user="rag_admin"),
    ]
    assert [problem for manifest in objects for problem in _problems(manifest)] == []
    kinds = [manifest["kind"] for manifest in objects]
    assert kinds.count("PodDisruptionBudget") == 1
    for manifest in objects:
        pod = manifest.get("spec", {}).get("template", {}).get("spec")
        if pod is None:
            continue
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["resources"]["limits"] and container["resources"]["requests"]
            assert ":" in container["image"] and not container["image"].endswith(":latest")


def test_embedding_server_loads_the_pinned_revision_and_single_replica_has_no_pdb() -> None:
    model = EMBEDDING_MODELS["bge-large-en-v1.5"]
    objects = embeddings_objects(model, "retrieval", replicas=1)
    assert [manifest["kind"] for manifest in objects] == ["Deployment", "Service"]
    args = objects[0]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--revision") + 1] == model.hf_revision
