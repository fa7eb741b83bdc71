"""The jobs API through the official OpenAI SDK (its HTTP client is the app's in-process test client), backed
by the moto server, with a worker running against the fake model backend."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import openai
import pytest
from fastapi.testclient import TestClient

from blueprints.batch.api import create_app
from blueprints.batch.queue import WorkQueue
from blueprints.batch.settings import Settings
from blueprints.batch.store import BatchStore
from tests.batch.conftest import API_KEY
from tests.batch.support import ENDPOINT, jsonl, make_worker, request_line, run_until_closed
from tests.fakes.openai_backend import FakeOpenAIBackend

pytestmark = pytest.mark.integration


@pytest.fixture
def http(worker_settings: Settings, store: BatchStore, queue: WorkQueue) -> Iterator[TestClient]:
    with TestClient(create_app(worker_settings, store, queue), base_url="http://batch.test") as client:
        yield client


@pytest.fixture
def sdk(http: TestClient) -> openai.OpenAI:
    return openai.OpenAI(api_key=API_KEY, base_url="http://batch.test/v1", http_client=http, max_retries=0)


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local receiver that records every POSTed JSON body."""
    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Silent."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/batch", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_submit_poll_and_download_with_the_openai_sdk(
        sdk: openai.OpenAI, worker_settings: Settings, backend: FakeOpenAIBackend,
        webhook: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = webhook
    uploaded = sdk.files.create(file=("requests.jsonl", jsonl([request_line(f"q{i}") for i in range(6)])),
                                purpose="batch")
    assert uploaded.purpose == "batch" and uploaded.bytes > 0
    batch = sdk.batches.create(input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h",
                               metadata={"team": "search"}, extra_body={"webhook_url": url})
    assert batch.status == "in_progress" and batch.request_counts.total == 6
    assert batch.metadata == {"team": "search"}

    run_until_closed(make_worker(worker_settings), batch.id)
    done = sdk.batches.retrieve(batch.id)
    assert done.status == "completed"
    assert (done.request_counts.completed, done.request_counts.failed) == (6, 0)
    assert done.completed_at is not None and done.error_file_id is None
    lines = [json.loads(line) for line in sdk.files.content(done.output_file_id).text.splitlines()]
    assert sorted(line["custom_id"] for line in lines) == sorted(f"q{i}" for i in range(6))
    assert received == [{**received[0], "type": "batch.completed", "data": {"id": batch.id}}]
    assert backend.request_count == 6


def test_every_route_needs_a_batch_api_key(http: TestClient, sdk: openai.OpenAI) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}):
        response = http.get("/v1/batches/batch_x", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "authentication_error"
    with pytest.raises(openai.NotFoundError):
        sdk.batches.retrieve("batch_missing")
    assert http.get("/healthz").json() == {"status": "ok"}


def test_an_invalid_input_file_fails_the_batch_with_line_errors(sdk: openai.OpenAI, queue: WorkQueue,
                                                                 clients: dict[str, Any]) -> None:
    good, other = request_line("a"), request_line("b")
    other["url"] = "/v1/embeddings"
    data = jsonl([good, good, other]) + b"{not json\n"
    uploaded = sdk.files.create(file=("bad.jsonl", data), purpose="batch")
    batch = sdk.batches.create(input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h")
    assert batch.status == "failed" and batch.failed_at is not None
    assert [(e.code, e.line) for e in batch.errors.data] == [
        ("duplicate_custom_id", 2), ("invalid_url", 3), ("invalid_json_line", 4)]
    depth = clients["sqs"].get_queue_attributes(QueueUrl=queue.queue_url,
                                                AttributeNames=["ApproximateNumberOfMessages"])
    assert depth["Attributes"]["ApproximateNumberOfMessages"] == "0"


@pytest.mark.parametrize(("body", "message"), [
    ({"endpoint": "/v1/images", "completion_window": "24h"}, "endpoint: '/v1/images' is not supported"),
    ({"endpoint": ENDPOINT, "completion_window": "1h"}, "completion_window: '1h' is not supported"),
    ({"endpoint": ENDPOINT, "completion_window": "24h", "webhook_url": "ftp://x"}, "webhook_url: 'ftp://x'"),
])
def test_bad_create_requests_name_the_field(http: TestClient, sdk: openai.OpenAI, body: dict[str, Any],
                                            message: str) -> None:
    uploaded = sdk.files.create(file=("r.jsonl", jsonl([request_line("a")])), purpose="batch")
    response = http.post("/v1/batches", json={"input_file_id": uploaded.id, **body},
                         headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(message)


def test_upload_limits(http: TestClient, worker_settings: Settings, store: BatchStore, queue: WorkQueue) -> None:
    auth = {"Authorization": f"Bearer {API_KEY}"}
    wrong = http.post("/v1/files", files={"file": ("r.jsonl", b"{}\n")}, data={"purpose": "fine-tune"}, headers=auth)
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "purpose"
    small = replace(worker_settings, max_file_bytes=10)
    with TestClient(create_app(small, store, queue)) as client:
        big = client.post("/v1/files", files={"file": ("r.jsonl", b"x" * 11)}, data={"purpose": "batch"},
                          headers=auth)
    assert big.status_code == 413


def test_cancel_records_the_remaining_lines_as_cancelled(
        sdk: openai.OpenAI, worker_settings: Settings, backend: FakeOpenAIBackend) -> None:
    uploaded = sdk.files.create(file=("r.jsonl", jsonl([request_line(f"c{i}") for i in range(4)])),
                                purpose="batch")
    batch = sdk.batches.create(input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h")
    cancelling = sdk.batches.cancel(batch.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at is not None
    run_until_closed(make_worker(worker_settings), batch.id)
    done = sdk.batches.retrieve(batch.id)
    assert done.status == "cancelled" and done.request_counts.failed == 4
    errors = [json.loads(line) for line in sdk.files.content(done.error_file_id).text.splitlines()]
    assert {line["error"]["code"] for line in errors} == {"batch_cancelled"}
    assert backend.request_count == 0
    assert sdk.batches.cancel(batch.id).status == "cancelled"
