"""The feedback endpoint, routed on the gateway's edge beside the model API:

    POST /v1/feedback   {"request_id": "<answer id>", "rating": 1 | -1, "comment"?: str, "tags"?: [str]}

`request_id` is the `id` of the answer the client got from the gateway. A caller needs a key the gateway accepts
(`Authorization: Bearer <key>`: the service asks the gateway's `/v1/models` with it and trusts the answer for
`key_cache_s`). The answer must still be attributed in the gateway's Redis (the quality callback keeps it
ANSWER_TTL_S): its model group, version and A/B variant are stored with the rating and label the
`blueprints_feedback_total` counter on this service's /metrics. The first rating of an answer wins: the same one
again answers 200, a different one 409.

Run: `python -m blueprints.feedback.api` (uvicorn on FEEDBACK_PORT, default 8080) with the FEEDBACK_* environment.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Annotated, Any, Literal

import boto3
import httpx
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, Counter, make_asgi_app
from pydantic import BaseModel, ConfigDict, Field
from redis.asyncio import Redis

from blueprints.feedback.settings import Settings
from blueprints.feedback.store import KEY, FeedbackStore

DEFAULT_PORT = 8080
PROBE_PATH = "/v1/models"
RATINGS = {1: "up", -1: "down"}
MAX_TAGS = 10


class Feedback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: Annotated[str, Field(min_length=1, max_length=256)]
    rating: Literal[1, -1]
    comment: str = ""
    tags: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=MAX_TAGS)] = []


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"message": message, "type": kind}})


class GatewayKeys:
    """Keys the gateway accepts, asked of the gateway and remembered for `ttl_s` (only the accepted ones)."""

    def __init__(self, client: httpx.AsyncClient, ttl_s: float, clock: Any = time.monotonic) -> None:
        self._client, self._ttl_s, self._clock = client, ttl_s, clock
        self._accepted: dict[str, float] = {}

    async def accepts(self, key: str) -> bool:
        digest = hashlib.sha256(key.encode()).hexdigest()
        if self._accepted.get(digest, 0.0) > self._clock():
            return True
        response = await self._client.get(PROBE_PATH, headers={"Authorization": f"Bearer {key}"})
        if response.status_code != 200:
            return False
        self._accepted[digest] = self._clock() + self._ttl_s
        return True


def create_app(settings: Settings, store: FeedbackStore, redis: Redis, gateway: httpx.AsyncClient) -> FastAPI:
    app = FastAPI(title="feedback", docs_url=None, redoc_url=None, openapi_url=None)
    registry = CollectorRegistry()
    ratings = Counter("blueprints_feedback", "Ratings of answers, by the model version that gave them",
                      ["model_group", "version", "variant", "rating"], registry=registry)
    app.mount("/metrics", make_asgi_app(registry))
    keys = GatewayKeys(gateway, settings.key_cache_s)

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/feedback")
    async def feedback(body: Feedback, request: Request) -> JSONResponse:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token or not await keys.accepts(token):
            return _error(401, "invalid or missing API key (the gateway's keys are accepted)", "authentication_error")
        if len(body.comment) > settings.max_comment_chars:
            return _error(400, f"comment: {len(body.comment)} characters (allowed: at most "
                               f"{settings.max_comment_chars})")
        attribution = await redis.get(f"{settings.answer_key_prefix}{body.request_id}")
        if attribution is None:
            return _error(404, f"request_id: no answer {body.request_id!r} (unknown, or older than the feedback "
                               "window)")
        answer = json.loads(attribution)
        record = {KEY: body.request_id, "rating": body.rating, "comment": body.comment, "tags": body.tags,
                  "model_group": answer["model_group"], "version": answer["version"], "variant": answer["variant"]}
        created, stored = await run_in_threadpool(store.put_once, record)
        if created:
            ratings.labels(answer["model_group"], answer["version"], answer["variant"], RATINGS[body.rating]).inc()
            return JSONResponse(status_code=201, content=stored)
        if stored["rating"] != body.rating:
            return _error(409, f"request_id: {body.request_id!r} was already rated {stored['rating']}")
        return JSONResponse(status_code=200, content=stored)

    return app


def from_settings(settings: Settings) -> FastAPI:
    redis = Redis(host=settings.redis_host, port=settings.redis_port, password=settings.redis_password or None,
                  ssl=settings.redis_ssl)
    store = FeedbackStore(boto3.session.Session().client("dynamodb"), settings.table)
    return create_app(settings, store, redis, httpx.AsyncClient(base_url=settings.gateway_url, timeout=10.0))


def main() -> None:
    import uvicorn

    uvicorn.run(from_settings(Settings.from_env()), host="0.0.0.0",
                port=int(os.environ.get("FEEDBACK_PORT", DEFAULT_PORT)), proxy_headers=True, access_log=False)


if __name__ == "__main__":
    main()
