"""The RAG data plane of one region: vector store, embedding service, documents bucket and ingestion identity.

Applications find everything in the stack output `regions.<region>.retrieval` (see `Retrieval.connection`):
they search with IAM database authentication (pgvector), SigV4 (OpenSearch Serverless) or the API key synced
into the `retrieval` namespace (Qdrant), and embed through the gateway's `embeddings` model.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from blueprints.catalog.embeddings import EMBEDDING_MODELS
from blueprints.components.buckets import deny_insecure_transport, private_bucket
from blueprints.components.embeddings import Embeddings
from blueprints.components.helm import chart_release
from blueprints.components.iam import PodIdentity, Statement, allow
from blueprints.components.images import runtime_image
from blueprints.components.kube import apply_manifest
from blueprints.components.postgres import POSTGRES_PORT, Capacity, aurora_postgres, bootstrap
from blueprints.components.secrets import SYNC_LABEL, Secrets
from blueprints.retrieval import schema
from blueprints.retrieval.manifests import (
    BOOTSTRAP_NAMESPACE,
    BOOTSTRAP_SERVICE_ACCOUNT,
    CONTAINER_SECURITY,
    INGESTION,
    RESTRICTED,
    SERVICE,
    SERVICE_PORT,
    artifact_config_map,
    egress_policy,
    ingestion_cronjob,
    labels,
    namespace,
    network_policies,
    pod_egress,
    postgres_egress,
    retrieval_service_objects,
    secret_value,
)
from blueprints.spec import PlatformSpec
from blueprints.versions import RETRIEVAL_SERVICE_TAG

if TYPE_CHECKING:
    from blueprints.context import RegionContext

NAMESPACE = "retrieval"
INGESTION_SERVICE_ACCOUNT = "ingestion"
DATABASE = "rag"
MASTER_USER = "rag_admin"
QDRANT_PORTS = [6333, 6334]
QDRANT_HTTP_PORT = 6333
SERVED_STORES = ("pgvector", "qdrant")
"""Stores behind the retrieval service's store interface (blueprints/retrieval/store.py); OpenSearch is not yet."""
QDRANT_API_KEY_SECRET = "qdrant-api-key"
AOSS_DATA_PERMISSIONS = ["aoss:CreateIndex", "aoss:DescribeIndex", "aoss:ReadDocument", "aoss:UpdateIndex",
                         "aoss:WriteDocument"]


class Retrieval(pulumi.ComponentResource):
    """Vector store (pgvector on Aurora, OpenSearch Serverless or Qdrant), embeddings, documents, ingestion."""

    connection: dict[str, Any]
    """What an application needs to connect (exported per region): endpoints, names, secret ARNs, roles."""

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, secrets: Secrets,
                 opts: pulumi.ResourceOptions):
        super().__init__("blueprints:retrieval:Retrieval", name, None, opts)
        self._spec, self._ctx, self._secrets, self._namer = spec, ctx, secrets, ctx.namer
        retrieval = spec.retrieval
        child = pulumi.ResourceOptions(parent=self)
        ns = apply_manifest(self._namer("retrieval-ns"), namespace(NAMESPACE, SYNC_LABEL), child)
        self._in_ns = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        served = retrieval.vector_store in SERVED_STORES
        open_ports = {"embeddings": [8080], **({"qdrant": QDRANT_PORTS} if retrieval.vector_store == "qdrant" else {}),
                      **({SERVICE: [SERVICE_PORT]} if served else {})}
        for policy in network_policies(NAMESPACE, open_ports):
            apply_manifest(self._namer("netpol", policy["metadata"]["name"]), policy, self._in_ns)
        apply_manifest(self._namer("ingestion-sa"), {
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": INGESTION_SERVICE_ACCOUNT, "namespace": NAMESPACE,
                         "labels": labels(INGESTION_SERVICE_ACCOUNT, "ingestion")},
        }, self._in_ns)

        self.documents_bucket = self._documents_bucket()
        self.embeddings = Embeddings(self._namer("embeddings"), retrieval, ctx.region, NAMESPACE, self._in_ns)
        store = {"pgvector": self._pgvector, "opensearch": self._opensearch, "qdrant": self._qdrant}
        self.connection = {
            "vector_store": retrieval.vector_store,
            "index_name": retrieval.index_name,
            "embedding_dimension": retrieval.embedding_dimension,
            "embedding_model": retrieval.embedding_model,
            "embeddings_gateway_model": self.embeddings.route["model_name"],
            "documents_bucket": self.documents_bucket.bucket,
            "namespace": NAMESPACE,
            "ingestion_service_account": INGESTION_SERVICE_ACCOUNT,
            **store[retrieval.vector_store](),
        }
        if served:
            self.connection["retrieval_service_url"] = self._retrieval_service()
        self.register_outputs(self.connection)

    # Vector stores: each returns its part of `connection` and creates the ingestion identity -------------

    def _pgvector(self) -> dict[str, Any]:
        ctx, spec, retrieval = self._ctx, self._spec, self._spec.retrieval
        db = aurora_postgres("vectors", spec, ctx, database=DATABASE, master_user=MASTER_USER, capacity=Capacity(
            retrieval.min_capacity_acu, retrieval.max_capacity_acu, retrieval.backup_retention_days,
            retrieval.multi_az), description="the vector store", parent=self)
        cluster, master_secret_arn = db.cluster, db.master_secret_arn
        # The schema Job runs in its own namespace, with a pod identity that may read only the RDS-managed master
        # secret (at run time, into the pod's memory): no namespace holds the admin password as a Kubernetes Secret,
        # and the applications connect as the IAM-authenticated roles the schema creates.
        bootstrap(db, ctx, ns=BOOTSTRAP_NAMESPACE, service_account=BOOTSTRAP_SERVICE_ACCOUNT,
                  sql=schema.pgvector_schema(retrieval), artifact="sql-schema",
                  policy_name=self._namer("netpol", "bootstrap"), parent=self)

        self.reader_statements = [db.connect(ctx, schema.READER_ROLE, "ConnectAsReader")]
        self._ingestion([db.connect(ctx, schema.WRITER_ROLE, "ConnectAsIngestion"), *self._embedding_statements()])
        return {
            "endpoint": cluster.endpoint, "reader_endpoint": cluster.reader_endpoint, "port": POSTGRES_PORT,
            "database": DATABASE, "reader_db_user": schema.READER_ROLE, "writer_db_user": schema.WRITER_ROLE,
            "master_secret_arn": master_secret_arn,
        }

    def _opensearch(self) -> dict[str, Any]:
        namer, ctx, spec, child = self._namer, self._ctx, self._spec, pulumi.ResourceOptions(parent=self)
        name = namer.short("vectors")  # OpenSearch Serverless: 3-32 characters
        collection_rule = {"ResourceType": "collection", "Resource": [f"collection/{name}"]}
        encryption = aws.opensearch.ServerlessSecurityPolicy(
            namer("vectors-encryption"), name=name, type="encryption",
            policy=pulumi.Output.json_dumps({"Rules": [collection_rule], **(
                {"AWSOwnedKey": False, "KmsARN": ctx.keys.arn("data")} if ctx.keys.enabled
                else {"AWSOwnedKey": True})}),
            opts=child,
        )
        security_group = self._ingress_from_cluster("vectors-vpce", 443, "HTTPS from cluster nodes")
        endpoint = aws.opensearch.ServerlessVpcEndpoint(
            namer("vectors"), name=name, vpc_id=ctx.network.vpc_id, subnet_ids=ctx.network.intra_subnet_ids,
            security_group_ids=[security_group.id], opts=child,
        )
        network = aws.opensearch.ServerlessSecurityPolicy(
            namer("vectors-network"), name=name, type="network",
            policy=pulumi.Output.json_dumps([{"Rules": [collection_rule], "AllowFromPublic": False,
                                              "SourceVPCEs": [endpoint.id]}]),
            opts=child,
        )
        collection = aws.opensearch.ServerlessCollection(
            namer("vectors"), name=name, type="VECTORSEARCH",
            standby_replicas="ENABLED" if spec.retrieval.multi_az else "DISABLED",
            description=f"RAG vectors ({spec.retrieval.embedding_model}, {spec.retrieval.embedding_dimension} dims)",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[encryption, network]),
        )
        self.reader_statements = [allow(["aoss:APIAccessAll"], [collection.arn], "SearchCollection")]
        ingestion = self._ingestion([allow(["aoss:APIAccessAll"], [collection.arn], "WriteCollection")])
        aws.opensearch.ServerlessAccessPolicy(
            namer("vectors-data"), name=name, type="data",
            policy=pulumi.Output.json_dumps([{
                "Rules": [
                    {"ResourceType": "index", "Resource": [f"index/{name}/*"], "Permission": AOSS_DATA_PERMISSIONS},
                    {"ResourceType": "collection", "Resource": [f"collection/{name}"],
                     "Permission": ["aoss:DescribeCollectionItems"]},
                ],
                "Principal": [ingestion.role_arn],
            }]),
            opts=child,
        )
        apply_manifest(namer("vector-index"), artifact_config_map(
            "vector-index", NAMESPACE, "opensearch-index",
            {f"{spec.retrieval.index_name}.json": json.dumps(schema.opensearch_index(spec.retrieval), indent=2)},
        ), self._in_ns)
        return {"endpoint": collection.collection_endpoint, "collection_arn": collection.arn, "port": 443}

    def _qdrant(self) -> dict[str, Any]:
        namer, ctx, spec = self._namer, self._ctx, self._spec
        replicas = qdrant_replicas(spec)
        api_key = self._secrets.generated_secret(QDRANT_API_KEY_SECRET, "Qdrant API key (retrieval namespace)")
        synced = self._secrets.sync(NAMESPACE, api_key, {"api-key": None}, name=QDRANT_API_KEY_SECRET,
                                    opts=self._in_ns)
        storage_class = apply_manifest(namer("qdrant-storage"), {
            "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": "qdrant-gp3", "labels": labels("qdrant", "storage")},
            "provisioner": "ebs.csi.aws.com",
            "parameters": {"type": "gp3", "encrypted": "true",
                           **({"kmsKeyId": ctx.keys.arn("data")} if ctx.keys.enabled else {})},
            "reclaimPolicy": "Retain", "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": True,
        }, pulumi.ResourceOptions(parent=self))
        chart_release(namer("qdrant"), "qdrant", NAMESPACE, qdrant_values(spec, replicas),
                      pulumi.ResourceOptions(parent=self, depends_on=[synced, storage_class]))
        collection = schema.qdrant_collection(spec.retrieval, replicas)
        apply_manifest(namer("vector-index"), artifact_config_map(
            "vector-index", NAMESPACE, "qdrant-collection",
            {f"{spec.retrieval.index_name}.json": json.dumps(collection, indent=2)}), self._in_ns)
        self.reader_statements = []
        self._ingestion([])
        return {"endpoint": f"http://qdrant.{NAMESPACE}.svc.cluster.local:6333", "port": 6333,
                "api_key_secret_arn": api_key.arn, "api_key_kubernetes_secret": QDRANT_API_KEY_SECRET}

    def _embedding_statements(self) -> list[Statement]:
        """InvokeModel on the Bedrock embedding model, for workloads that embed with their own identity."""
        model = EMBEDDING_MODELS[self._spec.retrieval.embedding_model]
        if self._spec.retrieval.embedding_hosting != "bedrock":
            return []
        return [allow(["bedrock:InvokeModel"], [
            f"arn:aws:bedrock:{self._ctx.region}::foundation-model/{model.bedrock_model_id}"], "EmbedTexts")]

    def _retrieval_service(self) -> str:
        """The retrieval service (images/retrieval-service): searches the active index version (pgvector: as the
        reader role through IAM authentication; Qdrant: with its API key from the synced Secret), embeds queries
        with the preset's embedding model, lists the documents bucket for the freshness gauge. The ingestion
        CronJob runs the same image as the writer."""
        namer, ctx, spec, retrieval = self._namer, self._ctx, self._spec, self._spec.retrieval
        model = EMBEDDING_MODELS[retrieval.embedding_model]
        _, image = runtime_image(SERVICE, RETRIEVAL_SERVICE_TAG, spec, ctx, self)
        env: dict[str, Any] = {
            "RAG_INDEX": retrieval.index_name, "AWS_REGION": ctx.region,
            "RAG_EMBEDDING_DIMENSION": str(retrieval.embedding_dimension),
            "RAG_DOCUMENTS_BUCKET": self.documents_bucket.bucket,
        }
        if retrieval.vector_store == "qdrant":
            env |= {"RAG_QDRANT_URL": self.connection["endpoint"],
                    "RAG_QDRANT_API_KEY": secret_value(QDRANT_API_KEY_SECRET, "api-key"),
                    "RAG_QDRANT_REPLICATION_FACTOR": str(qdrant_replicas(spec))}
            ingestion_env, store = env, pod_egress("qdrant", QDRANT_HTTP_PORT)
        else:
            env |= {"RAG_DB_HOST": self.connection["reader_endpoint"], "RAG_DB_PORT": str(POSTGRES_PORT),
                    "RAG_DB_NAME": DATABASE, "RAG_DB_USER": schema.READER_ROLE}
            ingestion_env = {**env, "RAG_DB_HOST": self.connection["endpoint"], "RAG_DB_USER": schema.WRITER_ROLE}
            store = postgres_egress(ctx.network.vpc_cidr, POSTGRES_PORT)
        statements = [*self.reader_statements, *self._embedding_statements(),
                      allow(["s3:ListBucket"], [self.documents_bucket.arn], "ListDocumentsForFreshness")]
        embedding_env = ({"RAG_BEDROCK_EMBEDDING_MODEL_ID": model.bedrock_model_id}
                         if retrieval.embedding_hosting == "bedrock" else
                         {"RAG_EMBEDDINGS_URL": f"http://embeddings.{NAMESPACE}.svc.cluster.local",
                          "RAG_EMBEDDINGS_MODEL": model.hf_repo})
        env, ingestion_env = env | embedding_env, ingestion_env | embedding_env
        replicas = 2 if retrieval.multi_az else 1
        for manifest in retrieval_service_objects(NAMESPACE, image, env, replicas=replicas,
                                                  max_replicas=max(4, replicas * 4)):
            apply_manifest(namer(SERVICE, manifest["kind"].lower()), manifest, self._in_ns)
        PodIdentity(namer(SERVICE), cluster_name=ctx.cluster.cluster_name, namespace=NAMESPACE,
                    service_account=SERVICE, statements=statements, opts=pulumi.ResourceOptions(parent=self))
        apply_manifest(namer(INGESTION, "cronjob"), ingestion_cronjob(NAMESPACE, image, ingestion_env,
                                                                      INGESTION_SERVICE_ACCOUNT), self._in_ns)
        for app in (SERVICE, INGESTION):
            apply_manifest(namer("netpol", f"{app}-egress"), egress_policy(NAMESPACE, app, store), self._in_ns)
        return f"http://{SERVICE}.{NAMESPACE}.svc.cluster.local"

    # Shared pieces -----------------------------------------------------------------------------------------

    def _ingestion(self, store_statements: list[Statement]) -> PodIdentity:
        """The `ingestion` service account: read the documents bucket, write the vector store."""
        bucket = self.documents_bucket.arn
        identity = PodIdentity(
            self._namer("ingestion"), cluster_name=self._ctx.cluster.cluster_name, namespace=NAMESPACE,
            service_account=INGESTION_SERVICE_ACCOUNT,
            statements=[
                allow(["s3:ListBucket"], [bucket], "ListDocuments"),
                allow(["s3:GetObject", "s3:GetObjectVersion"], [pulumi.Output.concat(bucket, "/*")], "ReadDocuments"),
                *store_statements,
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._ctx.keys.grant_decrypt("data", self._namer("ingestion-data"), identity.role_arn)
        self.ingestion_role_arn = identity.role_arn
        return identity

    def _ingress_from_cluster(self, name: str, port: int, description: str) -> aws.ec2.SecurityGroup:
        """A security group admitting one TCP port from the cluster's nodes and pods, nothing else."""
        return aws.ec2.SecurityGroup(
            self._namer(name), vpc_id=self._ctx.network.vpc_id, description=description,
            ingress=[{"protocol": "tcp", "from_port": port, "to_port": port, "description": description,
                      "security_groups": [self._ctx.cluster.security_group_id]}],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _documents_bucket(self) -> aws.s3.Bucket:
        """Versioned, KMS-encrypted (data key), private, TLS-only, with server access logs in a log bucket."""
        namer, ctx = self._namer, self._ctx
        log_bucket = self._bucket("documents-access-logs", encryption={"sse_algorithm": "AES256"})
        bucket = self._bucket("documents", encryption={"sse_algorithm": "aws:kms",
                                                       "kms_master_key_id": ctx.keys.arn("data")})
        child = pulumi.ResourceOptions(parent=self)
        aws.s3.BucketLogging(namer("documents"), bucket=bucket.id, target_bucket=log_bucket.id,
                             target_prefix="documents/", opts=child)
        aws.s3.BucketPolicy(namer("documents-access-logs"), bucket=log_bucket.id, policy=pulumi.Output.json_dumps({
            "Version": "2012-10-17",
            "Statement": [
                deny_insecure_transport(log_bucket.arn),
                {"Sid": "S3ServerAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
                 "Action": "s3:PutObject", "Resource": pulumi.Output.concat(log_bucket.arn, "/documents/*"),
                 "Condition": {"ArnLike": {"aws:SourceArn": bucket.arn},
                               "StringEquals": {"aws:SourceAccount": ctx.account_id}}},
            ],
        }), opts=child)
        aws.s3.BucketLifecycleConfiguration(namer("documents-access-logs"), bucket=log_bucket.id, rules=[{
            "id": "expire-access-logs", "status": "Enabled", "filter": {},
            "expiration": {"days": self._spec.audit.retention_days},
            "noncurrent_version_expiration": {"noncurrent_days": 30},
        }], opts=child)
        aws.s3.BucketPolicy(namer("documents"), bucket=bucket.id, policy=pulumi.Output.json_dumps({
            "Version": "2012-10-17", "Statement": [deny_insecure_transport(bucket.arn)]}), opts=child)
        return bucket

    def _bucket(self, name: str, encryption: dict[str, Any]) -> aws.s3.Bucket:
        return private_bucket(self._namer(name), self._ctx.account_id, encryption,
                              deletion_protection=self._spec.deletion_protection, parent=self)


def qdrant_replicas(spec: PlatformSpec) -> int:
    """Qdrant nodes (and the replication factor of each index version's collection): three across zones."""
    return 3 if spec.retrieval.multi_az else 1


def qdrant_values(spec: PlatformSpec, replicas: int) -> dict[str, Any]:
    """Values of the upstream Qdrant chart: API key from the synced Secret, encrypted volumes, spread pods."""
    selector = {"matchLabels": {"app.kubernetes.io/name": "qdrant"}}
    return {
        "fullnameOverride": "qdrant",
        "replicaCount": replicas,
        # From the synced Secret at container start (qdrant reads service.api_key from this variable). Not the
        # chart's `apiKey.valueFrom`: that copies the key with `lookup` at install time, before External Secrets
        # may have synced it, and Qdrant would then start without authentication.
        "env": [{"name": "QDRANT__SERVICE__API_KEY",
                 "valueFrom": {"secretKeyRef": {"name": QDRANT_API_KEY_SECRET, "key": "api-key"}}}],
        "config": {"cluster": {"enabled": replicas > 1}},
        "persistence": {"size": f"{spec.retrieval.qdrant_volume_gib}Gi", "storageClassName": "qdrant-gp3",
                        "accessModes": ["ReadWriteOnce"]},
        "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
        "podSecurityContext": {**RESTRICTED, "fsGroup": 3000, "fsGroupChangePolicy": "OnRootMismatch"},
        "containerSecurityContext": {**CONTAINER_SECURITY, "runAsUser": 1000, "runAsGroup": 2000},
        "podLabels": labels("qdrant", "vector-store"),
        "livenessProbe": {"enabled": True},
        "podDisruptionBudget": {"enabled": replicas > 1, "maxUnavailable": 1},
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                       "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": selector}],
    }
