"""Aurora PostgreSQL Serverless v2 for the platform's databases (retrieval's pgvector store, the gateway's keys and
spend), and the Job that bootstraps one as its master user.

Each cluster: intra subnets (no internet route), a security group admitting PostgreSQL from the cluster only, TLS
required, storage and Performance Insights encrypted with the `data` key, logs to a KMS-encrypted log group, IAM
database authentication, and a master password RDS creates and rotates (`manage_master_user_password`, secret
encrypted with the `secrets` key) that only the bootstrap Job reads: at run time, into the pod's memory, with a pod
identity allowed GetSecretValue on that one secret, in a namespace of its own without External Secrets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from blueprints.components.iam import PodIdentity, Statement, allow
from blueprints.components.kube import apply_manifest
from blueprints.retrieval.manifests import (
    artifact_config_map,
    bootstrap_network_policy,
    content_hash,
    labels,
    namespace,
    schema_job,
)
from blueprints.spec import PlatformSpec
from blueprints.versions import AURORA_POSTGRESQL_VERSION

if TYPE_CHECKING:
    from blueprints.context import RegionContext

POSTGRES_PORT = 5432


@dataclass(frozen=True)
class Capacity:
    min_acu: float
    max_acu: float
    backup_retention_days: int
    multi_az: bool


@dataclass(frozen=True)
class AuroraDatabase:
    cluster: aws.rds.Cluster
    instances: list[aws.rds.ClusterInstance]
    master_secret_arn: pulumi.Output[str]
    database: str
    master_user: str

    def connect(self, ctx: RegionContext, user: str, sid: str) -> Statement:
        """`rds-db:connect` as one database role (IAM database authentication)."""
        arn = pulumi.Output.concat("arn:aws:rds-db:", ctx.region, ":", ctx.account_id, ":dbuser:",
                                   self.cluster.cluster_resource_id, "/", user)
        return allow(["rds-db:connect"], [arn], sid)


def aurora_postgres(purpose: str, spec: PlatformSpec, ctx: RegionContext, *, database: str, master_user: str,
                    capacity: Capacity, description: str, parent: pulumi.Resource) -> AuroraDatabase:
    """One Aurora PostgreSQL Serverless v2 cluster (a writer, plus a reader in another zone when `multi_az`);
    `description`: what it holds."""
    namer, child = ctx.namer, pulumi.ResourceOptions(parent=parent)
    subnets = aws.rds.SubnetGroup(namer(purpose), subnet_ids=ctx.network.intra_subnet_ids,
                                  description=f"Intra subnets (no internet route) of {description}", opts=child)
    security_group = aws.ec2.SecurityGroup(
        namer(f"{purpose}-db"), vpc_id=ctx.network.vpc_id, description="PostgreSQL from cluster nodes",
        ingress=[{"protocol": "tcp", "from_port": POSTGRES_PORT, "to_port": POSTGRES_PORT,
                  "description": "PostgreSQL from cluster nodes", "security_groups": [ctx.cluster.security_group_id]}],
        opts=child,
    )
    parameters = aws.rds.ClusterParameterGroup(
        namer(purpose), family=f"aurora-postgresql{AURORA_POSTGRESQL_VERSION.split('.')[0]}",
        description="TLS required", parameters=[{"name": "rds.force_ssl", "value": "1"}], opts=child,
    )
    identifier = namer(purpose)
    logs = aws.cloudwatch.LogGroup(
        namer(f"{purpose}-logs"), name=f"/aws/rds/cluster/{identifier}/postgresql",
        retention_in_days=spec.observability.log_retention_days, kms_key_id=ctx.keys.arn("logs"), opts=child,
    )
    cluster = aws.rds.Cluster(
        identifier,
        cluster_identifier=identifier,
        engine="aurora-postgresql",
        engine_mode="provisioned",
        engine_version=AURORA_POSTGRESQL_VERSION,
        database_name=database,
        master_username=master_user,
        manage_master_user_password=True,
        master_user_secret_kms_key_id=ctx.keys.arn("secrets"),
        iam_database_authentication_enabled=True,
        storage_encrypted=True,
        kms_key_id=ctx.keys.arn("data"),
        db_subnet_group_name=subnets.name,
        vpc_security_group_ids=[security_group.id],
        db_cluster_parameter_group_name=parameters.name,
        serverlessv2_scaling_configuration={"min_capacity": capacity.min_acu, "max_capacity": capacity.max_acu},
        backup_retention_period=capacity.backup_retention_days,
        preferred_backup_window="02:00-03:00",
        copy_tags_to_snapshot=True,
        deletion_protection=spec.deletion_protection,
        skip_final_snapshot=not spec.deletion_protection,
        final_snapshot_identifier=f"{identifier}-final" if spec.deletion_protection else None,
        enabled_cloudwatch_logs_exports=["postgresql"],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[logs], protect=spec.deletion_protection),
    )
    instances = [
        aws.rds.ClusterInstance(
            namer(purpose, str(index)),
            identifier=namer(purpose, str(index)),
            cluster_identifier=cluster.id,
            instance_class="db.serverless",
            engine=cluster.engine,
            engine_version=cluster.engine_version,
            db_subnet_group_name=subnets.name,
            publicly_accessible=False,
            promotion_tier=index,
            auto_minor_version_upgrade=True,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=ctx.keys.arn("data"),
            performance_insights_retention_period=7,
            opts=pulumi.ResourceOptions(parent=parent, protect=spec.deletion_protection),
        )
        for index in range(2 if capacity.multi_az else 1)
    ]
    return AuroraDatabase(cluster, instances, cluster.master_user_secrets[0].secret_arn, database, master_user)


def bootstrap(db: AuroraDatabase, ctx: RegionContext, *, ns: str, service_account: str, sql: str, artifact: str,
              policy_name: str, parent: pulumi.Resource) -> pulumi.Resource:
    """Namespace `ns` (no External Secrets), its NetworkPolicy (logical name `policy_name`), and the Job that applies
    `sql` (rendered as an `artifact` ConfigMap) as the master user with `service_account`'s pod identity, which may
    read only the master secret. Returns the Job."""
    namer, child = ctx.namer, pulumi.ResourceOptions(parent=parent)
    created = apply_manifest(namer(f"{ns}-ns"), namespace(ns, {}), child)
    in_ns = pulumi.ResourceOptions(parent=parent, depends_on=[created])
    apply_manifest(policy_name, bootstrap_network_policy(ns, ctx.network.vpc_cidr, POSTGRES_PORT), in_ns)
    account = apply_manifest(namer(f"{service_account}-sa"), {
        "apiVersion": "v1", "kind": "ServiceAccount", "automountServiceAccountToken": False,
        "metadata": {"name": service_account, "namespace": ns, "labels": labels(service_account, "schema")},
    }, in_ns)
    identity = PodIdentity(
        namer(service_account), cluster_name=ctx.cluster.cluster_name, namespace=ns,
        service_account=service_account,
        statements=[allow(["secretsmanager:GetSecretValue"], [db.master_secret_arn], "ReadMasterSecret")],
        opts=child,
    )
    # RDS encrypts the master secret with the `secrets` key (master_user_secret_kms_key_id).
    grant = ctx.keys.grant_decrypt("secrets", namer(service_account, "secrets"), identity.role_arn)
    name = f"{service_account}-{content_hash(sql)}"
    config_map = apply_manifest(namer(service_account), artifact_config_map(name, ns, artifact, {"schema.sql": sql}),
                                in_ns)
    return apply_manifest(namer(f"{service_account}-job"), schema_job(
        name, ns, name, master_secret_arn=db.master_secret_arn, region=ctx.region, host=db.cluster.endpoint,
        database=db.database, user=db.master_user, service_account=service_account,
    ), pulumi.ResourceOptions(parent=parent, depends_on=[*db.instances, account, identity, config_map,
                                                         *filter(None, [grant])]))
