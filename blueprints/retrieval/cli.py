"""The `rag` command line: `python -m blueprints rag ingest|query|activate|rollback|status|stop`.

Without `--database-url` (or $BLUEPRINTS_RAG_DATABASE_URL) it runs on the embedded PostgreSQL + pgvector under the
user's cache directory with the offline wordllama embedding model: nothing to set up, no network."""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from blueprints.errors import BlueprintError
from blueprints.retrieval.embedders import DEFAULT_BATCH, LocalEmbedder
from blueprints.retrieval.errors import RetrievalError
from blueprints.retrieval.ingest import Settings, directory_objects, freshness_seconds, ingest, prepare
from blueprints.retrieval.pgstore import PgVectorStore, store_at
from blueprints.retrieval.pipeline import Query, Retriever
from blueprints.retrieval.rerank import SentenceReranker
from blueprints.retrieval.store import Filters

HELP = "Local retrieval: ingest a directory into a versioned index, query it, activate or roll back a version."
URL_VARIABLE = "BLUEPRINTS_RAG_DATABASE_URL"
FRESHNESS_METRIC = "blueprints_rag_index_freshness_seconds"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=os.environ.get(URL_VARIABLE),
                        help=f"PostgreSQL + pgvector (default: ${URL_VARIABLE}, else the embedded server)")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    ingest_ = sub.add_parser("ingest", help="parse, chunk, embed and store DIR as a new version of the index")
    ingest_.add_argument("directory", type=Path)
    ingest_.add_argument("--index", required=True)
    ingest_.add_argument("--chunk-size", type=int, default=200, help="words per chunk (200)")
    ingest_.add_argument("--chunk-overlap", type=int, default=40, help="words shared by neighbouring chunks (40)")
    ingest_.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, help=f"texts per embedding call "
                                                                               f"({DEFAULT_BATCH})")
    ingest_.add_argument("--no-activate", action="store_true", help="build the version but leave the alias")
    ingest_.add_argument("--format", choices=("text", "json"), default="text")
    query = sub.add_parser("query", help="the best chunks of the index's active version for TEXT")
    query.add_argument("text")
    query.add_argument("--index", required=True)
    query.add_argument("--k", type=int, default=5)
    query.add_argument("--no-hybrid", action="store_true", help="dense search only (no BM25 fusion)")
    query.add_argument("--rerank", action="store_true",
                       help="rerank candidates by their best sentence (offline model; off: it did not beat fusion "
                            "on the project's test corpus, see bench/rag_quality.py)")
    query.add_argument("--tenant")
    query.add_argument("--acl-group", action="append", dest="acl_groups", help="caller's group (repeatable)")
    query.add_argument("--source-prefix")
    query.add_argument("--token-budget", type=int, default=2000, help="context tokens (2000)")
    query.add_argument("--format", choices=("text", "json"), default="text")
    for name, text in (("activate", "point the index alias at a version (default: the newest)"),
                       ("rollback", "point the index alias back at the previous version")):
        action = sub.add_parser(name, help=text)
        action.add_argument("--index", required=True)
        if name == "activate":
            action.add_argument("--version", type=int)
        action.add_argument("--format", choices=("text", "json"), default="text")
    status = sub.add_parser("status", help="versions, alias and (with --source) freshness of an index")
    status.add_argument("--index", required=True)
    status.add_argument("--source", type=Path, help="documents directory: compute freshness against it")
    status.add_argument("--chunk-size", type=int, default=200)
    status.add_argument("--chunk-overlap", type=int, default=40)
    status.add_argument("--format", choices=("text", "json", "prometheus"), default="text")
    sub.add_parser("stop", help="stop the embedded PostgreSQL server")


def _store(args: argparse.Namespace) -> PgVectorStore:
    if args.database_url:
        return store_at(args.database_url)
    from blueprints.retrieval.local import open_store

    return open_store()


def _print(payload: dict[str, Any], fmt: str, text: str) -> None:
    print(json.dumps(payload, indent=2, default=str) if fmt == "json" else text)


def _positive(name: str, value: int) -> None:
    if value < 1:
        raise RetrievalError(f"{name} {value}: must be >= 1")


def _run(args: argparse.Namespace) -> int:
    if args.action == "stop":
        from blueprints.retrieval.local import stop

        stop()
        return 0
    store = _store(args)
    try:
        if args.action == "ingest":
            _positive("--batch-size", args.batch_size)
            _positive("--chunk-size", args.chunk_size)
            if not 0 <= args.chunk_overlap < args.chunk_size:
                raise RetrievalError(f"--chunk-overlap {args.chunk_overlap}: must be >= 0 and < --chunk-size")
            objects, skipped = directory_objects(args.directory)
            report = ingest(store, LocalEmbedder(args.batch_size), args.index, objects,
                            Settings(args.chunk_size, args.chunk_overlap, activate=not args.no_activate), skipped)
            summary = (f"{args.index}: " + (f"version {report.version} built" if report.version else "unchanged")
                       + f", active {report.active}; {len(report.added)} added, {len(report.updated)} updated, "
                       f"{len(report.deleted)} deleted, {report.unchanged} unchanged, {len(report.skipped)} "
                       f"skipped; {report.chunks_embedded} chunks embedded, {report.chunks_reused} reused")
            _print(report.as_json(), args.format, summary)
        elif args.action == "query":
            _positive("--k", args.k)
            _positive("--token-budget", args.token_budget)
            embedder = LocalEmbedder()
            result = Retriever(store, embedder, SentenceReranker(embedder)).retrieve(Query(
                args.text, args.index, args.k,
                Filters(args.tenant, args.acl_groups, args.source_prefix),
                hybrid=not args.no_hybrid, rerank=args.rerank, token_budget=args.token_budget))
            lines = [f"{hit.score:.4f}  {hit.chunk_id}  {hit.text[:100]}" for hit in result.hits]
            _print(result.as_json(), args.format, "\n".join(lines) or "no match")
        elif args.action in ("activate", "rollback"):
            if args.action == "activate":
                state = store.state(args.index)
                version = args.version if args.version is not None else max(state.versions, default=0)
                state = store.activate(args.index, version)
            else:
                state = store.rollback(args.index)
            _print(state.__dict__, args.format, f"{args.index}: active version {state.active} (previous "
                                                f"{state.previous})")
        else:
            state = store.state(args.index)
            payload: dict[str, Any] = dict(state.__dict__)
            if args.source is not None:
                objects, _ = directory_objects(args.source)
                indexed = store.documents(args.index, state.active) if state.active is not None else {}
                documents = prepare(objects, Settings(args.chunk_size, args.chunk_overlap))
                payload["freshness_seconds"] = freshness_seconds(documents, indexed, datetime.now(UTC))
            if args.format == "prometheus":
                if "freshness_seconds" not in payload:
                    raise RetrievalError("--format prometheus needs --source (freshness is computed against it)")
                print(f"# HELP {FRESHNESS_METRIC} Age of the newest source object not yet indexed.\n"
                      f"# TYPE {FRESHNESS_METRIC} gauge\n"
                      f'{FRESHNESS_METRIC}{{index="{args.index}"}} {payload["freshness_seconds"]:.3f}')
            else:
                _print(payload, args.format, "\n".join(f"{key}: {value}" for key, value in payload.items()))
    finally:
        store.close()
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except RetrievalError as error:
        raise BlueprintError(str(error)) from None
