"""The retrieval service: query embedding -> vector search with metadata filters -> optional BM25 fusion ->
rerank -> context assembly within a token budget, with citations.

    POST /v1/retrieve          {query, index?, k, filters{tenant, acl_groups, source_prefix}, hybrid, rerank,
                                token_budget} -> chunks, context, citations, seconds per stage
    GET  /v1/indexes/{index}   versions and the alias (active, previous)
    GET  /healthz /readyz      process alive / vector store reachable
    GET  /metrics              Prometheus: per-stage latency histograms, query outcomes, index freshness

The caller (gateway or application) has authenticated the end user and passes their tenant and ACL groups as
filters; the service is reachable only from inside the cluster (NetworkPolicy). OpenAPI at /openapi.json, /docs.

Run: `python -m blueprints.retrieval.api` (uvicorn on RAG_PORT, default 8080) with the RAG_* environment
(blueprints.retrieval.settings)."""

from __future__ import annotations

import contextlib
import threading
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from blueprints.retrieval.errors import RetrievalError
from blueprints.retrieval.metrics import Registry
from blueprints.retrieval.pipeline import STAGES, Query, Retriever
from blueprints.retrieval.settings import Settings
from blueprints.retrieval.store import Filters


class FilterBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str | None = Field(None, description="only chunks whose metadata `tenant` equals this")
    acl_groups: list[str] | None = Field(None, description="the caller's groups: chunks without `acl_groups` or "
                                                           "sharing one of these")
    source_prefix: str | None = Field(None, description="only chunks whose source starts with this")


class RetrieveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Annotated[str, Field(min_length=1, max_length=8000)]
    index: str | None = Field(None, description="index alias (default: the service's RAG_INDEX)")
    k: Annotated[int, Field(ge=1, le=50)] = 5
    filters: FilterBody = Field(default_factory=FilterBody)
    hybrid: bool = Field(True, description="fuse BM25 with the vector search (reciprocal rank fusion)")
    rerank: bool = Field(True, description="rerank candidates when the service has a reranker")
    token_budget: Annotated[int, Field(ge=1, le=128000)] = 2000


class Chunk(BaseModel):
    document_id: str
    chunk_id: str
    score: float
    text: str
    source: str
    metadata: dict[str, Any]


class Citation(BaseModel):
    n: int
    document_id: str
    chunk_id: str
    source: str
    score: float
    instructions_removed: int = Field(description="instruction-like sentences removed from the passage "
                                      "(prompt-injection defence)")


class RetrieveResponse(BaseModel):
    index: str
    version: int
    chunks: list[Chunk]
    context: str = Field(description="a notice that documents are data, then passages `<document n=... "
                         "source=...>` within the token budget")
    context_tokens: int
    citations: list[Citation]
    seconds: dict[str, float]


class IndexResponse(BaseModel):
    name: str
    dimension: int
    active: int | None
    previous: int | None
    versions: list[int]


def create_app(settings: Settings, registry: Registry | None = None) -> FastAPI:
    app = FastAPI(title="retrieval", version="1", description=__doc__.split("\n\n")[0])
    metrics = registry or Registry()
    local = threading.local()
    app.state.metrics = metrics

    def retriever() -> Retriever:
        """One store connection and BM25 cache per worker thread (pg8000 connections are not shared)."""
        if getattr(local, "retriever", None) is None:
            embedder = settings.embedder()
            local.store = settings.store()
            local.retriever = Retriever(local.store, embedder, settings.reranker(embedder))
        return local.retriever

    def forget() -> None:
        store = getattr(local, "store", None)
        local.retriever = local.store = None
        if store is not None:
            with contextlib.suppress(Exception):  # the connection is already broken
                store.close()

    @app.exception_handler(RetrievalError)
    async def retrieval_error(_: Request, error: RetrievalError) -> JSONResponse:
        return JSONResponse({"error": {"message": str(error)}}, status_code=error.status)

    def _retrieve(body: RetrieveBody) -> dict[str, Any]:
        try:
            result = retriever().retrieve(Query(
                body.query, body.index or settings.index, body.k,
                Filters(body.filters.tenant, body.filters.acl_groups, body.filters.source_prefix),
                hybrid=body.hybrid, rerank=body.rerank, token_budget=body.token_budget))
        except RetrievalError as error:
            if error.status >= 500:
                metrics.count_query("unavailable")
                forget()
            else:
                metrics.count_query("client_error")
            raise
        for stage in STAGES:
            metrics.observe_stage(stage, result.seconds.get(stage, 0.0))
        metrics.count_query("ok")
        return result.as_json()

    @app.post("/v1/retrieve", response_model=RetrieveResponse, summary="Retrieve context for a query",
              responses={404: {"description": "unknown index"}, 503: {"description": "vector store unreachable"}})
    async def retrieve(body: RetrieveBody) -> dict[str, Any]:
        return await run_in_threadpool(_retrieve, body)

    @app.get("/v1/indexes/{index}", response_model=IndexResponse, summary="Versions and alias of an index")
    async def index_state(index: str) -> dict[str, Any]:
        state = await run_in_threadpool(lambda: retriever() and local.store.state(index))
        return state.__dict__

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> dict[str, Any]:
        names = await run_in_threadpool(lambda: retriever() and local.store.names())
        return {"status": "ready", "indexes": names}

    @app.get("/metrics", include_in_schema=False, response_class=PlainTextResponse)
    async def prometheus() -> PlainTextResponse:
        return PlainTextResponse(metrics.exposition(), media_type="text/plain; version=0.0.4")

    return app


def main() -> None:
    import uvicorn

    settings = Settings.from_environment()
    registry = Registry()
    settings.start_freshness(registry)
    uvicorn.run(create_app(settings, registry), host="0.0.0.0", port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
