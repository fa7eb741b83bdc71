"""`python -m blueprints rag ...` on the embedded PostgreSQL: JSON shape of a query, the alias commands, and one
error line (exit 2) for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blueprints.cli import main

pytestmark = pytest.mark.integration


def test_ingest_query_activate_and_rollback(rag_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "slo.md").write_text("# SLO\n\nThe time to first token objective is 800 ms at the 95th percentile.")
    (docs / "cache.txt").write_text("Semantic caching answers repeated prompts from Redis.")
    assert main(["rag", "ingest", str(docs), "--index", "cli", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == 1
    assert main(["rag", "query", "first token latency objective", "--index", "cli", "--k", "1",
                 "--format", "json"]) == 0
    [chunk] = json.loads(capsys.readouterr().out)["chunks"]
    assert set(chunk) >= {"document_id", "chunk_id", "score", "text", "source"}
    assert (chunk["document_id"], chunk["chunk_id"], chunk["source"]) == ("slo.md", "slo.md#0", "slo.md")
    (docs / "cache.txt").write_text("Semantic caching answers repeated prompts from Redis within a TTL.")
    assert main(["rag", "ingest", str(docs), "--index", "cli"]) == 0
    assert "version 2 built, active 2" in capsys.readouterr().out
    assert main(["rag", "rollback", "--index", "cli", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) | {"versions": None} == {
        "name": "cli", "dimension": 256, "active": 1, "previous": 2, "versions": None}
    assert main(["rag", "activate", "--index", "cli"]) == 0
    assert capsys.readouterr().out.strip() == "cli: active version 2 (previous 1)"
    assert main(["rag", "status", "--index", "cli", "--source", str(docs), "--format", "prometheus"]) == 0
    assert 'blueprints_rag_index_freshness_seconds{index="cli"} 0.000' in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["rag", "query", "x", "--index", "absent"], "error: unknown index 'absent'"),
    (["rag", "activate", "--index", "cli-errors", "--version", "9"], "error: index 'cli-errors' has no ready "
                                                                     "version 9"),
    (["rag", "query", "x", "--index", "cli-errors", "--k", "0"], "error: --k 0: must be >= 1"),
    (["rag", "ingest", "/nonexistent-dir", "--index", "cli-errors"], "error: /nonexistent-dir: not a directory"),
    (["rag", "--database-url", "mysql://h/db", "query", "x", "--index", "a"], "error: database URL 'mysql://h/db'"),
])
def test_bad_input_is_one_line_and_exit_2(rag_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                          argv: list[str], message: str) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("some text")
    main(["rag", "ingest", str(docs), "--index", "cli-errors"])
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err
