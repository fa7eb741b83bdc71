"""Helpers of the batch tests: write an input file, run a worker until a batch ends (bounded in time)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from typing import Any

import boto3
import kubernetes_validate

from blueprints.batch.protocol import TERMINAL_STATUSES
from blueprints.batch.queue import WorkQueue
from blueprints.batch.settings import Settings
from blueprints.batch.store import BatchStore
from blueprints.batch.worker import Upstream, Worker
from blueprints.versions import KUBERNETES_VERSION
from tests.support.schemas import validate_manifest

ENDPOINT = "/v1/chat/completions"


def request_line(custom_id: str, content: str = "hello", max_tokens: int = 3) -> dict[str, Any]:
    return {"custom_id": custom_id, "method": "POST", "url": ENDPOINT,
            "body": {"model": "fake-model", "max_tokens": max_tokens,
                     "messages": [{"role": "user", "content": content}]}}


def jsonl(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def submit(store: BatchStore, queue: WorkQueue, lines: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    """What POST /v1/files + POST /v1/batches do."""
    file = store.put_file(jsonl(lines), "input.jsonl", "batch")
    batch, parsed = store.create_batch(file, ENDPOINT, "24h", options.get("metadata"), options.get("webhook_url"))
    assert parsed, batch
    queue.send_lines(batch["id"], file["key"], parsed)
    return store.start(batch["id"], len(parsed))


def make_worker(settings: Settings, **changes: Any) -> Worker:
    settings = replace(settings, **changes)
    session = boto3.session.Session()
    store = BatchStore(settings, session.client("s3"), session.client("dynamodb"))
    return Worker(settings, store, WorkQueue(session.client("sqs"), settings.queue_url, settings.dlq_url),
                  Upstream(settings))


def run_until_closed(worker: Worker, batch_id: str, timeout_s: float = 15.0) -> dict[str, Any]:
    """Run the worker loop in a thread until the batch reaches a terminal status; fails after `timeout_s`."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            batch = worker.store.get_batch(batch_id, consistent=True)
            if batch and batch["status"] in TERMINAL_STATUSES:
                return batch
            time.sleep(0.05)
        raise AssertionError(f"batch {batch_id} not closed after {timeout_s}s: {batch}")
    finally:
        stop.set()
        thread.join(timeout=10)
        worker.upstream.close()


def output_lines(store: BatchStore, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    item = store.get_file(file_id)
    assert item is not None
    return [json.loads(line) for line in store.file_content(item).splitlines()]


BUILT_IN_GROUPS = ("networking.k8s.io/",)
"""Built-in API groups with a dot in their name, which validate_manifest would look up as CRDs."""


def validate(manifest: dict[str, Any]) -> list[str]:
    """validate_manifest, with kubernetes-validate for the built-in dotted groups (NetworkPolicy)."""
    if manifest["apiVersion"].startswith(BUILT_IN_GROUPS):
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            return [error.message]
        return []
    return validate_manifest(manifest)
