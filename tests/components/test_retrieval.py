"""The retrieval data plane in the offline plan: Aurora/pgvector, OpenSearch Serverless, Qdrant, embeddings,
documents bucket, ingestion identity and stack outputs; and the spec rules that guard it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from blueprints.components.embeddings import gateway_route
from blueprints.components.secrets import SYNC_LABEL
from blueprints.engine.graph import ResourceGraph, ResourceRecord
from blueprints.errors import SpecError
from blueprints.presets import load_spec
from blueprints.retrieval.manifests import BOOTSTRAP_NAMESPACE
from blueprints.versions import CHARTS
from tests.conftest import PRESETS, GraphOf
from tests.retrieval.test_manifests import _problems


@pytest.fixture(scope="module")
def store_graphs(graph_of: GraphOf) -> dict[str, ResourceGraph]:
    """enterprise-assistant prod with each non-default vector store."""
    return {store: graph_of("enterprise-assistant", "prod", overrides={"retrieval": {"vector_store": store}})
            for store in ("opensearch", "qdrant")}


def one(graph: ResourceGraph, type_: str, name_part: str = "") -> ResourceRecord:
    matches = [r for r in graph.of_type(type_) if r.name.endswith(name_part)]
    assert len(matches) == 1, [r.name for r in matches]
    return matches[0]


def key_arn(graph: ResourceGraph, data_class: str, region_code: str = "") -> str:
    return one(graph, "aws:kms/key:Key", f"{region_code}-kms-{data_class}").outputs["arn"]


def config_maps(graph: ResourceGraph, kind: str) -> list[ResourceRecord]:
    return [r for r in graph.of_type("kubernetes:core/v1:ConfigMap")
            if r.inputs["metadata"].get("annotations", {}).get("blueprints.io/artifact-kind") == kind]


def test_aurora_is_multi_az_encrypted_private_and_protected_in_prod(graph_of: GraphOf) -> None:
    graph = graph_of("enterprise-assistant", "prod")
    cluster = one(graph, "aws:rds/cluster:Cluster", "-vectors").inputs
    assert cluster["engine"] == "aurora-postgresql" and cluster["engineMode"] == "provisioned"
    assert cluster["storageEncrypted"] and cluster["kmsKeyId"] == key_arn(graph, "data")
    assert cluster["manageMasterUserPassword"] and "masterPassword" not in cluster
    assert cluster["masterUserSecretKmsKeyId"] == key_arn(graph, "secrets")
    assert cluster["iamDatabaseAuthenticationEnabled"] and cluster["deletionProtection"]
    assert cluster["backupRetentionPeriod"] == 7
    assert len([r for r in graph.of_type("aws:rds/clusterInstance:ClusterInstance") if "-vectors-" in r.name]) == 2
    assert all(r.protect for r in graph.of_type("aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"))
    subnets = one(graph, "aws:rds/subnetGroup:SubnetGroup", "-vectors").inputs["subnetIds"]
    intra = {r.outputs["id"] for r in graph.of_type("aws:ec2/subnet:Subnet") if "-intra-" in r.name}
    assert set(subnets) == intra
    ingress = one(graph, "aws:ec2/securityGroup:SecurityGroup", "vectors-db").inputs["ingress"]
    assert [(rule["fromPort"], "cidrBlocks" in rule, len(rule["securityGroups"])) for rule in ingress] == [
        (5432, False, 1)]
    params = one(graph, "aws:rds/clusterParameterGroup:ClusterParameterGroup", "-vectors").inputs["parameters"]
    assert {"name": "rds.force_ssl", "value": "1"} in params


def test_aurora_in_dev_is_one_instance_that_can_pause(graph_of: GraphOf) -> None:
    graph = graph_of("enterprise-assistant", "dev")
    cluster = one(graph, "aws:rds/cluster:Cluster", "-vectors").inputs
    assert cluster["serverlessv2ScalingConfiguration"]["minCapacity"] == 0
    assert not cluster["deletionProtection"] and cluster["skipFinalSnapshot"]
    assert len([r for r in graph.of_type("aws:rds/clusterInstance:ClusterInstance") if "-vectors-" in r.name]) == 1


def _master_secret_arns(graph: ResourceGraph, suffix: str = "") -> set[str]:
    return {secret["secretArn"] for cluster in graph.of_type("aws:rds/cluster:Cluster") if cluster.name.endswith(suffix)
            for secret in cluster.outputs.get("masterUserSecrets") or []}


def test_schema_job_reads_the_rds_master_secret_at_run_time_in_its_own_namespace(graph_of: GraphOf) -> None:
    """The admin password reaches only the bootstrap Job's pod (via GetSecretValue with its own pod identity),
    never a Kubernetes Secret: the app namespace `retrieval` holds no admin credential."""
    graph = graph_of("internal-ai", "staging")
    [master_arn] = _master_secret_arns(graph, "-vectors")
    [schema_map] = [c for c in config_maps(graph, "sql-schema")
                    if c.inputs["metadata"]["namespace"] == BOOTSTRAP_NAMESPACE]
    sql = schema_map.inputs["data"]["schema.sql"]
    assert "CREATE EXTENSION IF NOT EXISTS vector;" in sql and "embedding vector(1024) NOT NULL" in sql
    [job] = [r.inputs for r in graph.of_type("kubernetes:batch/v1:Job")
             if r.inputs["metadata"]["namespace"] == BOOTSTRAP_NAMESPACE]
    assert job["metadata"]["namespace"] == schema_map.inputs["metadata"]["namespace"]
    pod = job["spec"]["template"]["spec"]
    assert {"configMap": {"name": schema_map.inputs["metadata"]["name"]}, "name": "schema"} in pod["volumes"]
    fetch, _ = pod["initContainers"]
    assert fetch["command"][-1].startswith("aws secretsmanager get-secret-value")
    assert {"name": "SECRET_ARN", "value": master_arn} in fetch["env"]
    containers = [*pod["initContainers"], *pod["containers"]]
    assert not [item for c in containers for item in c["env"] if "valueFrom" in item]
    env = {item["name"]: item["value"] for item in pod["containers"][0]["env"]}
    assert env["PGHOST"] == one(graph, "aws:rds/cluster:Cluster", "-vectors").outputs["endpoint"]
    assert env["PGUSER"] == one(graph, "aws:rds/cluster:Cluster", "-vectors").inputs["masterUsername"]
    # Its own pod identity may read exactly the master secret, nothing else.
    association = one(graph, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "vector-schema").inputs
    assert (association["namespace"], association["serviceAccount"]) == (BOOTSTRAP_NAMESPACE,
                                                                          pod["serviceAccountName"])
    role = [r for r in graph.of_type("aws:iam/role:Role") if r.outputs["arn"] == association["roleArn"]]
    [policy] = [r for r in graph.of_type("aws:iam/rolePolicy:RolePolicy") if r.inputs["role"] == role[0].outputs["id"]]
    statements = json.loads(policy.inputs["policy"])["Statement"]
    assert [(s["Action"], s["Resource"]) for s in statements] == [(["secretsmanager:GetSecretValue"], [master_arn])]
    bootstrap = one(graph, "kubernetes:core/v1:Namespace", "retrieval-bootstrap-ns").inputs["metadata"]["labels"]
    assert not SYNC_LABEL.items() <= bootstrap.items()
    [policy] = [r.inputs["spec"] for r in graph.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                if r.inputs["metadata"]["namespace"] == BOOTSTRAP_NAMESPACE]
    assert policy["podSelector"] == {} and policy["ingress"] == [] and "Egress" in policy["policyTypes"]


@pytest.mark.parametrize("preset", PRESETS)
def test_no_external_secret_or_controller_policy_reaches_an_rds_master_secret(graph_of: GraphOf, preset: str,
                                                                            store_graphs: dict) -> None:
    """Fails on a graph that syncs the Aurora admin secret into any namespace (the old `vector-db-admin`)."""
    for graph in (graph_of(preset, "prod"), *store_graphs.values()):
        masters = _master_secret_arns(graph)
        for external in graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret"):
            spec = external.inputs["spec"]
            keys = {item["remoteRef"]["key"] for item in spec.get("data", [])}
            keys |= {item.get("extract", {}).get("key") for item in spec.get("dataFrom", [])}
            assert not keys & masters, external.name
        readers = [r.name for r in graph.of_type("aws:iam/rolePolicy:RolePolicy")
                   if any(arn in r.inputs["policy"] for arn in masters)]
        # Only the bootstrap Jobs (retrieval's schema, the gateway key database's role) read a master secret.
        assert all(name.endswith(("-vector-schema", "-gateway-db-bootstrap")) for name in readers), readers


def test_documents_bucket_is_versioned_kms_encrypted_logged_private_and_tls_only(graph_of: GraphOf) -> None:
    graph = graph_of("regulated-industry", "prod")
    for region in ("euc1", "eun1"):
        bucket = one(graph, "aws:s3/bucket:Bucket", f"{region}-documents").outputs["bucket"]
        by_bucket = {r.type: r.inputs for r in graph.resources if r.inputs.get("bucket") == bucket}
        sse = by_bucket["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"]
        default = sse["rules"][0]["applyServerSideEncryptionByDefault"]
        assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn(graph, "data", region)}
        assert by_bucket["aws:s3/bucketVersioning:BucketVersioning"]["versioningConfiguration"]["status"] == "Enabled"
        block = by_bucket["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"]
        assert all(block[key] for key in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                          "restrictPublicBuckets"))
        logging = by_bucket["aws:s3/bucketLogging:BucketLogging"]
        assert logging["targetBucket"].endswith("documents-access-logs-123456789012")
        [deny] = json.loads(by_bucket["aws:s3/bucketPolicy:BucketPolicy"]["policy"])["Statement"]
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_ingestion_identity_reads_documents_and_writes_only_as_the_ingestion_user(graph_of: GraphOf) -> None:
    graph = graph_of("enterprise-assistant", "prod")
    association = one(graph, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "ingestion").inputs
    assert (association["namespace"], association["serviceAccount"]) == ("retrieval", "ingestion")
    statements = json.loads(one(graph, "aws:iam/rolePolicy:RolePolicy", "ingestion").inputs["policy"])["Statement"]
    actions = {action for statement in statements for action in statement["Action"]}
    # InvokeModel: the ingestion CronJob embeds with the preset's Bedrock model (blueprints.retrieval.worker).
    assert actions == {"s3:ListBucket", "s3:GetObject", "s3:GetObjectVersion", "rds-db:connect", "bedrock:InvokeModel"}
    [connect] = [s for s in statements if s["Action"] == ["rds-db:connect"]]
    assert connect["Resource"][0].endswith("/ingestion")
    grant = one(graph, "aws:kms/grant:Grant", "ingestion-data").inputs
    assert grant["operations"] == ["Decrypt", "DescribeKey"]


def test_embeddings_are_self_hosted_or_routed_to_bedrock(graph_of: GraphOf) -> None:
    internal = graph_of("internal-ai", "prod")
    deployment = one(internal, "kubernetes:apps/v1:Deployment", "embeddings-deployment").inputs
    assert deployment["spec"]["replicas"] == 2
    assert one(internal, "kubernetes:policy/v1:PodDisruptionBudget", "embeddings-poddisruptionbudget")
    assistant = graph_of("enterprise-assistant", "prod")
    assert not [r for r in assistant.of_type("kubernetes:apps/v1:Deployment") if "embeddings" in r.name]
    bedrock = gateway_route(load_spec("enterprise-assistant", "prod").retrieval, "us-east-1", "retrieval")
    assert bedrock["litellm_params"] == {"model": "bedrock/amazon.titan-embed-text-v2:0",
                                         "aws_region_name": "us-east-1", "dimensions": 1024}
    hosted = gateway_route(load_spec("internal-ai", "prod").retrieval, "us-east-1", "retrieval")
    assert hosted["litellm_params"]["api_base"] == "http://embeddings.retrieval.svc.cluster.local/v1"


def test_opensearch_collection_is_encrypted_private_redundant_with_data_access(store_graphs: dict) -> None:
    graph = store_graphs["opensearch"]
    collection = one(graph, "aws:opensearch/serverlessCollection:ServerlessCollection")
    assert collection.inputs["type"] == "VECTORSEARCH" and collection.inputs["standbyReplicas"] == "ENABLED"
    policies = {r.inputs["type"]: json.loads(r.inputs["policy"])
                for r in graph.of_type("aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy")}
    assert policies["encryption"]["AWSOwnedKey"] is False
    assert policies["encryption"]["KmsARN"] == key_arn(graph, "data")
    endpoint = one(graph, "aws:opensearch/serverlessVpcEndpoint:ServerlessVpcEndpoint").outputs["id"]
    assert policies["network"] == [{"Rules": [{"ResourceType": "collection",
                                               "Resource": [f"collection/{collection.inputs['name']}"]}],
                                    "AllowFromPublic": False, "SourceVPCEs": [endpoint]}]
    [data] = json.loads(one(graph, "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy").inputs["policy"])
    ingestion_role = one(graph, "aws:iam/role:Role", "ingestion").outputs["arn"]
    assert data["Principal"] == [ingestion_role]
    [index] = config_maps(graph, "opensearch-index")
    mapping = json.loads(index.inputs["data"]["documents.json"])
    assert mapping["mappings"]["properties"]["embedding"]["dimension"] == 1024
    assert not [r for r in graph.of_type("aws:rds/cluster:Cluster") if r.name.endswith("-vectors")]


def test_qdrant_runs_from_its_chart_with_a_generated_api_key_and_encrypted_volumes(store_graphs: dict) -> None:
    graph = store_graphs["qdrant"]
    release = one(graph, "kubernetes:helm.sh/v3:Release", "qdrant").inputs
    assert release["version"] == CHARTS["qdrant"].version
    values = release["values"]
    assert values["replicaCount"] == 3 and values["config"]["cluster"]["enabled"] is True
    (api_key,) = values["env"]  # rendered with the chart in tests/components/test_helm_charts.py
    assert api_key["valueFrom"] == {"secretKeyRef": {"name": "qdrant-api-key", "key": "api-key"}}
    storage = one(graph, "kubernetes:storage.k8s.io/v1:StorageClass").inputs
    assert storage["parameters"] == {"type": "gp3", "encrypted": "true", "kmsKeyId": key_arn(graph, "data")}
    assert values["persistence"]["storageClassName"] == storage["metadata"]["name"]
    secret = one(graph, "aws:secretsmanager/secret:Secret", "qdrant-api-key")
    rotation = one(graph, "aws:secretsmanager/secretRotation:SecretRotation", "rotate-qdrant-api-key").inputs
    assert rotation["secretId"] == secret.outputs["id"] and rotation["rotateImmediately"] is True
    versions = graph.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert secret.outputs["id"] not in {version.inputs["secretId"] for version in versions}
    [collection] = config_maps(graph, "qdrant-collection")
    assert json.loads(collection.inputs["data"]["documents.json"])["vectors"]["dense"]["size"] == 1024


def test_kubernetes_objects_of_the_data_plane_are_valid(graph_of: GraphOf, store_graphs: dict) -> None:
    problems: list[str] = []
    for graph in (graph_of("internal-ai", "prod"), graph_of("enterprise-assistant", "dev"), *store_graphs.values()):
        for record in graph.resources:
            if record.custom and record.type.startswith("kubernetes:") and "helm.sh" not in record.type \
                    and ("-retrieval-" in record.urn or "Secrets" in record.urn):
                manifest = {key: value for key, value in record.inputs.items() if not key.startswith("__")}
                problems += _problems(manifest)
    assert problems == []
    namespace = one(graph_of("internal-ai", "prod"), "kubernetes:core/v1:Namespace", "retrieval-ns").inputs
    assert SYNC_LABEL.items() <= namespace["metadata"]["labels"].items()


def test_stack_outputs_tell_applications_how_to_connect(graph_of: GraphOf, store_graphs: dict) -> None:
    outputs = graph_of("enterprise-assistant", "prod").stack_outputs["regions"]["us-east-1"]["retrieval"]
    assert outputs["vector_store"] == "pgvector" and outputs["port"] == 5432 and outputs["database"] == "rag"
    assert outputs["master_secret_arn"].startswith("arn:aws:secretsmanager:us-east-1:")
    assert outputs["reader_db_user"] == "retrieval_reader" and outputs["embeddings_gateway_model"] == "embeddings"
    qdrant = store_graphs["qdrant"].stack_outputs["regions"]["us-east-1"]["retrieval"]
    assert qdrant["api_key_secret_arn"].startswith("arn:aws:secretsmanager:")
    assert "retrieval" not in graph_of("startup-mvp", "prod").stack_outputs["regions"]["us-east-1"]


BAD_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    ("enterprise-assistant", {"retrieval": {"embedding_dimension": 768}},
     "overrides.retrieval.embedding_dimension: titan-embed-text-v2 produces no 768-dimension vectors "
     "(allowed: 256, 512, 1024)"),
    ("enterprise-assistant", {"retrieval": {"embedding_model": "ada-002"}},
     "overrides.retrieval.embedding_model: unknown embedding model 'ada-002'; allowed: titan-embed-text-v2, "
     "titan-embed-text-v1, cohere-embed-english-v3, cohere-embed-multilingual-v3, bge-large-en-v1.5"),
    ("enterprise-assistant", {"retrieval": {"embedding_hosting": "self-hosted"}},
     "overrides.retrieval.embedding_hosting: titan-embed-text-v2 does not run on 'self-hosted' (allowed: bedrock)"),
    ("internal-ai", {"retrieval": {"embedding_model": "titan-embed-text-v2", "embedding_hosting": "bedrock"}},
     "overrides.retrieval.embedding_hosting: 'bedrock' is not allowed because compliance.allow_hosted_models is "
     "false (documents may not leave the account); allowed: self-hosted"),
    ("enterprise-assistant", {"secrets": {"external_secrets": False}},
     "overrides.secrets.external_secrets: false leaves the retrieval data plane without its credentials "
     "(Qdrant and the gateway read them through External Secrets); allowed: true"),
    ("enterprise-assistant", {"retrieval": {"min_capacity_acu": 8, "max_capacity_acu": 4}},
     "overrides.retrieval.min_capacity_acu: 8.0 is larger than max_capacity_acu (4.0; allowed: <= 4.0)"),
    ("enterprise-assistant", {"retrieval": {"vector_store": "s3vectors"}},
     "overrides.retrieval.vector_store: Input should be 'pgvector', 'opensearch' or 'qdrant' (got 's3vectors')"),
]


@pytest.mark.parametrize(("preset", "overrides", "message"), BAD_INPUTS, ids=[m[:60] for *_, m in BAD_INPUTS])
def test_bad_retrieval_and_secrets_input_names_path_value_and_allowed(preset: str, overrides: dict, message: str
                                                                      ) -> None:
    with pytest.raises(SpecError) as error:
        load_spec(preset, "dev", overrides)
    assert message in error.value.problems
