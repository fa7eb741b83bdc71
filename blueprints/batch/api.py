"""The jobs API: the OpenAI Batch and Files endpoints a batch needs, so the official SDKs work unchanged
(`client = OpenAI(base_url="https://<gateway host>/v1", api_key=<batch API key>)`).

    POST /v1/files                  multipart: file (JSONL), purpose=batch
    GET  /v1/files/{id}             the file object
    GET  /v1/files/{id}/content     the file (inputs, outputs, error files)
    POST /v1/batches                {input_file_id, endpoint, completion_window, metadata, webhook_url?}
    GET  /v1/batches/{id}           status and request counts
    POST /v1/batches/{id}/cancel

Every request needs `Authorization: Bearer <key>` with one of the batch API's own keys (not the gateway's master
key). `webhook_url` is our extension (OpenAI SDK: `extra_body`): an https URL that receives a `batch.<status>`
event when the batch ends.

Run: `python -m blueprints.batch.api` (uvicorn on BATCH_API_PORT, default 8080) with the BATCH_* environment.
"""

from __future__ import annotations

import hmac
import os
from typing import Annotated, Any
from urllib.parse import urlparse

import boto3
from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from blueprints.batch.protocol import COMPLETION_WINDOWS, ENDPOINTS, MAX_METADATA_PAIRS, batch_object, file_object
from blueprints.batch.queue import WorkQueue
from blueprints.batch.settings import Settings
from blueprints.batch.store import BatchStore

DEFAULT_PORT = 8080
UPLOAD_CHUNK = 1024 * 1024


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.param = status, message, kind, param


class CreateBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input_file_id: str
    endpoint: str
    completion_window: str = "24h"
    metadata: dict[str, Annotated[str, Field(max_length=512)]] | None = None
    webhook_url: str | None = None


def create_app(settings: Settings, store: BatchStore, queue: WorkQueue) -> FastAPI:
    app = FastAPI(title="batch", docs_url=None, redoc_url=None, openapi_url=None)
    accepted = settings.accepted_keys()

    @app.exception_handler(ApiError)
    async def _error(_request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(status_code=error.status, content={"error": {
            "message": error.message, "type": error.kind, "param": error.param, "code": None}})

    def authorized(request: Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        keys = accepted.keys()
        if scheme.lower() != "bearer" or not any(hmac.compare_digest(token.encode(), key.encode()) for key in keys):
            raise ApiError(401, "invalid or missing API key", "authentication_error")

    auth = [Depends(authorized)]

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/files", dependencies=auth)
    async def upload(file: Annotated[UploadFile, File()], purpose: Annotated[str, Form()]) -> dict[str, Any]:
        if purpose != "batch":
            raise ApiError(400, f"purpose: {purpose!r} is not supported (allowed: batch)", param="purpose")
        data = bytearray()
        while chunk := await file.read(UPLOAD_CHUNK):
            data += chunk
            if len(data) > settings.max_file_bytes:
                raise ApiError(413, f"file: larger than {settings.max_file_bytes} bytes", param="file")
        item = await run_in_threadpool(store.put_file, bytes(data), file.filename or "input.jsonl", purpose)
        return file_object(item)

    def existing_file(file_id: str) -> dict[str, Any]:
        item = store.get_file(file_id)
        if item is None:
            raise ApiError(404, f"no file {file_id!r}", param="file_id")
        return item

    @app.get("/v1/files/{file_id}", dependencies=auth)
    def get_file(file_id: str) -> dict[str, Any]:
        return file_object(existing_file(file_id))

    @app.get("/v1/files/{file_id}/content", dependencies=auth)
    def file_content(file_id: str) -> Response:
        return Response(store.file_content(existing_file(file_id)), media_type="application/jsonl")

    @app.post("/v1/batches", dependencies=auth)
    def create_batch(body: CreateBatch) -> dict[str, Any]:
        _check_create(body, settings)
        input_file = existing_file(body.input_file_id)
        if input_file["purpose"] != "batch":
            raise ApiError(400, f"input_file_id: {body.input_file_id!r} was not uploaded with purpose batch",
                           param="input_file_id")
        batch, lines = store.create_batch(input_file, body.endpoint, body.completion_window, body.metadata,
                                          body.webhook_url)
        if not lines:
            return batch_object(batch)
        queue.send_lines(batch["id"], input_file["key"], lines)
        return batch_object(store.start(batch["id"], len(lines)))

    def existing_batch(batch_id: str) -> dict[str, Any]:
        item = store.get_batch(batch_id, consistent=True)
        if item is None:
            raise ApiError(404, f"no batch {batch_id!r}", param="batch_id")
        return item

    @app.get("/v1/batches/{batch_id}", dependencies=auth)
    def get_batch(batch_id: str) -> dict[str, Any]:
        return batch_object(existing_batch(batch_id))

    @app.post("/v1/batches/{batch_id}/cancel", dependencies=auth)
    def cancel_batch(batch_id: str) -> dict[str, Any]:
        existing_batch(batch_id)
        return batch_object(store.cancel(batch_id) or existing_batch(batch_id))

    return app


def _check_create(body: CreateBatch, settings: Settings) -> None:
    if body.endpoint not in ENDPOINTS:
        raise ApiError(400, f"endpoint: {body.endpoint!r} is not supported (allowed: {', '.join(ENDPOINTS)})",
                       param="endpoint")
    if body.completion_window not in COMPLETION_WINDOWS:
        raise ApiError(400, f"completion_window: {body.completion_window!r} is not supported (allowed: "
                       f"{', '.join(COMPLETION_WINDOWS)})", param="completion_window")
    if body.metadata and len(body.metadata) > MAX_METADATA_PAIRS:
        raise ApiError(400, f"metadata: {len(body.metadata)} pairs (allowed: at most {MAX_METADATA_PAIRS})",
                       param="metadata")
    if body.webhook_url is not None:
        url = urlparse(body.webhook_url)
        schemes = ("https", "http") if settings.webhook_allow_http else ("https",)
        if url.scheme not in schemes or not url.hostname:
            raise ApiError(400, f"webhook_url: {body.webhook_url!r} is not an absolute URL (allowed schemes: "
                           f"{', '.join(schemes)})", param="webhook_url")


def from_settings(settings: Settings) -> FastAPI:
    session = boto3.session.Session()
    store = BatchStore(settings, session.client("s3"), session.client("dynamodb"))
    return create_app(settings, store, WorkQueue(session.client("sqs"), settings.queue_url, settings.dlq_url))


def main() -> None:
    import uvicorn

    uvicorn.run(from_settings(Settings.from_env()), host="0.0.0.0", port=int(os.environ.get("BATCH_API_PORT",
                DEFAULT_PORT)), proxy_headers=True, access_log=False)


if __name__ == "__main__":
    main()
