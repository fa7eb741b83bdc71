"""The gateway's key database on the EKS presets: Aurora PostgreSQL with IAM authentication, the pod's environment
as LiteLLM 1.81.16 reads it, and the bootstrap SQL run for real (embedded Postgres) before LiteLLM's own migrations
as the role it creates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from blueprints.engine.graph import ResourceGraph
from blueprints.errors import SpecError
from blueprints.gateway.database import DATABASE, DB_USER, MASTER_USER, bootstrap_sql, database_environment
from blueprints.presets import load_spec
from tests.support.litellm_db import embedded_postgres, migrations
from tests.support.litellm_proxy import LITELLM

PROXY_CLI = next(LITELLM.parent.parent.glob("lib/python3*/site-packages/litellm/proxy/proxy_cli.py"), None)


def _one(graph: ResourceGraph, type_: str, name: str):
    [record] = [r for r in graph.of_type(type_) if r.name == name]
    return record


@pytest.mark.parametrize("preset", ["enterprise-assistant", "internal-ai", "regulated-industry", "saas"])
def test_eks_presets_keep_keys_in_an_encrypted_private_aurora_reached_with_iam_tokens(graph_of, preset: str) -> None:
    graph = graph_of(preset, "prod")
    clusters = [r for r in graph.of_type("aws:rds/cluster:Cluster") if r.name.endswith("-gateway-keys")]
    assert len(clusters) == len(graph.of_type("aws:eks/cluster:Cluster"))  # one per region
    for record in clusters:
        prefix, cluster = record.name.removesuffix("-gateway-keys"), record.inputs
        keys = {r.name.removeprefix(f"{prefix}-kms-"): r.outputs["arn"] for r in graph.of_type("aws:kms/key:Key")
                if r.name.startswith(prefix)}
        assert cluster["storageEncrypted"] and cluster["kmsKeyId"] == keys["data"]
        assert cluster["manageMasterUserPassword"] and cluster["masterUserSecretKmsKeyId"] == keys["secrets"]
        assert cluster["iamDatabaseAuthenticationEnabled"] and "masterPassword" not in cluster
        assert (cluster["databaseName"], cluster["masterUsername"]) == (DATABASE, MASTER_USER)
        assert len([r for r in graph.of_type("aws:rds/clusterInstance:ClusterInstance")
                    if r.name.startswith(f"{prefix}-gateway-keys-")]) == 2  # prod: a reader in another zone
        # Intra subnets only; PostgreSQL from the cluster's security group only.
        subnets = _one(graph, "aws:rds/subnetGroup:SubnetGroup", record.name).inputs["subnetIds"]
        intra = {r.outputs["id"] for r in graph.of_type("aws:ec2/subnet:Subnet")
                 if r.name.startswith(f"{prefix}-intra")}
        assert subnets and set(subnets) <= intra
        [rule] = _one(graph, "aws:ec2/securityGroup:SecurityGroup", f"{record.name}-db").inputs["ingress"]
        [eks] = [r for r in graph.of_type("aws:eks/cluster:Cluster") if r.name.startswith(prefix)]
        assert (rule["fromPort"], rule["toPort"], rule.get("cidrBlocks")) == (5432, 5432, None)
        assert rule["securityGroups"] == [eks.outputs["vpcConfig"]["clusterSecurityGroupId"]]

        # The gateway's role may connect as DB_USER of this cluster only.
        region, account = eks.outputs["arn"].split(":")[3:5]
        connect = [statement["Resource"] for statement in json.loads(
            _one(graph, "aws:iam/rolePolicy:RolePolicy", f"{prefix}-gateway").inputs["policy"])["Statement"]
            if "rds-db:connect" in statement["Action"]]
        assert connect == [[f"arn:aws:rds-db:{region}:{account}:dbuser:{record.outputs['clusterResourceId']}/"
                            f"{DB_USER}"]]

        env = {e["name"]: e.get("value") for e in _one(graph, "kubernetes:apps/v1:Deployment", f"{prefix}-gateway-"
                                                      "deployment").inputs["spec"]["template"]["spec"]
               ["containers"][0]["env"]}
        assert "DATABASE_URL" not in env
        assert {key: env[key] for key in database_environment("")} == database_environment(record.outputs["endpoint"])


def test_the_mvp_on_fargate_has_no_key_database(graph_of) -> None:
    graph = graph_of("startup-mvp", "prod")
    assert not [r for r in graph.of_type("aws:rds/cluster:Cluster") if r.name.endswith("-gateway-keys")]


@pytest.mark.skipif(PROXY_CLI is None, reason="LiteLLM not installed in .venv-litellm")
def test_the_environment_is_what_litellm_builds_its_iam_database_url_from() -> None:
    """litellm/proxy/proxy_cli.py at 1.81.16: `if iam_token_db_auth or get_secret_bool("IAM_TOKEN_DB_AUTH")` then
    DATABASE_HOST/PORT/USER/NAME."""
    assert PROXY_CLI is not None
    source = PROXY_CLI.read_text()
    block = source[source.index('get_secret_bool("IAM_TOKEN_DB_AUTH")'):source.index('os.environ["IAM_TOKEN_DB_AUTH"]')]
    read = set(re.findall(r'os\.getenv\("(DATABASE_\w+)"\)', block)) - {"DATABASE_SCHEMA"}
    assert read == set(database_environment("x")) - {"IAM_TOKEN_DB_AUTH"}


@pytest.mark.integration
def test_bootstrap_creates_the_role_that_owns_litellms_schema(tmp_path: Path) -> None:
    """As on Aurora: the master user is no superuser (rds_superuser: CREATEROLE, CREATEDB, ADMIN on rds_iam, which
    the RDS documentation has it grant). The SQL runs twice (a changed Job reruns it), then LiteLLM's migrations as
    DB_USER."""
    setup = tmp_path / "setup.sql"
    setup.write_text(f"CREATE ROLE rds_iam; CREATE ROLE {MASTER_USER} LOGIN CREATEROLE CREATEDB;\n"
                     f"GRANT rds_iam TO {MASTER_USER} WITH ADMIN OPTION;\n"
                     f"CREATE DATABASE {DATABASE} OWNER {MASTER_USER};\n")
    script = tmp_path / "bootstrap.sql"
    script.write_text(bootstrap_sql())
    with embedded_postgres() as postgres:
        postgres.psql(setup)
        for _ in range(2):
            postgres.psql(script, user=MASTER_USER, database=DATABASE)
        for sql in migrations():
            postgres.psql(sql, user=DB_USER, database=DATABASE)
        check = tmp_path / "check.sql"
        check.write_text(f"""DO $$ BEGIN
  ASSERT pg_has_role('{DB_USER}', 'rds_iam', 'MEMBER');
  ASSERT (SELECT tableowner FROM pg_tables WHERE tablename = 'LiteLLM_VerificationToken') = '{DB_USER}';
END $$;""")
        postgres.psql(check, user=MASTER_USER, database=DATABASE)


def test_a_floor_above_the_ceiling_is_refused_in_one_line() -> None:
    with pytest.raises(SpecError) as error:
        load_spec("saas", "dev", {"gateway": {"database_min_capacity_acu": 8}})
    assert str(error.value) == ("overrides.gateway.database_min_capacity_acu: 8.0 is larger than "
                                "database_max_capacity_acu (4.0; allowed: <= 4.0)")
