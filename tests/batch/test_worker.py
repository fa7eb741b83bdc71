"""The worker against a moto server and the fake model backend: complete batches, poisoned lines through the
dead-letter queue, redeliveries and a worker killed mid-batch."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from blueprints.batch.protocol import DELIVERIES_CODE
from blueprints.batch.queue import WorkQueue
from blueprints.batch.settings import Settings
from blueprints.batch.store import BatchStore
from blueprints.batch.worker import backoff_delays
from tests.batch.conftest import POISON
from tests.batch.support import make_worker, output_lines, request_line, run_until_closed, submit
from tests.fakes.openai_backend import FakeOpenAIBackend

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def queue_depth(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return sum(int(value) for value in attributes.values())


def test_backoff_is_exponential_jittered_and_capped() -> None:
    delays = backoff_delays(6, base_s=1.0, cap_s=8.0, rng=random.Random(7))
    assert len(delays) == 6
    assert all(0 <= delay <= min(8.0, 2 ** attempt) for attempt, delay in enumerate(delays))
    assert backoff_delays(0, 1.0, 8.0, random.Random(1)) == []


def test_a_batch_of_n_lines_completes_with_n_results(worker_settings: Settings, store: BatchStore,
                                                     queue: WorkQueue, backend: FakeOpenAIBackend) -> None:
    batch = submit(store, queue, [request_line(f"req-{i}", max_tokens=2 + i % 3) for i in range(20)])
    closed = run_until_closed(make_worker(worker_settings), batch["id"])
    assert closed["status"] == "completed"
    assert (int(closed["total"]), int(closed["completed"]), int(closed["failed"])) == (20, 20, 0)
    results = output_lines(store, closed["output_file_id"])
    assert [line["custom_id"] for line in results] == [f"req-{i}" for i in range(20)]
    for i, line in enumerate(results):
        assert line["error"] is None and line["response"]["status_code"] == 200
        content = line["response"]["body"]["choices"][0]["message"]["content"]
        assert content.split() == [f"batch{t}" for t in range(2 + i % 3)]
    assert closed.get("error_file_id") is None
    assert backend.request_count == 20
    assert all(r.headers.get("Authorization") == f"Bearer {worker_settings.upstream_api_key}"
               for r in backend.requests)


def test_a_poisoned_line_goes_through_the_dlq_into_the_error_file(
        worker_settings: Settings, store: BatchStore, queue: WorkQueue, clients: dict[str, Any],
        backend: FakeOpenAIBackend) -> None:
    lines = [request_line(f"ok-{i}") for i in range(5)]
    lines.insert(2, request_line("poisoned", content=POISON.decode()))
    batch = submit(store, queue, lines)
    # First pass: no draining of the DLQ, until the poisoned message has been delivered max_deliveries times
    # and SQS has moved it to the dead-letter queue.
    worker = make_worker(worker_settings, dead_letter_interval_s=3600, poll_wait_s=1)
    worker.drain_dead_letters = lambda: 0  # type: ignore[method-assign]
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and queue_depth(clients["sqs"], worker_settings.dlq_url) == 0:
        time.sleep(0.1)
    stop.set()
    thread.join(timeout=10)
    assert queue_depth(clients["sqs"], worker_settings.dlq_url) == 1
    assert queue_depth(clients["sqs"], worker_settings.queue_url) == 0
    record = store.request_record(batch["id"], "poisoned")
    assert record is not None and "outcome" not in record
    assert int(record["attempts"]) == worker_settings.max_deliveries
    assert backend.poisoned == worker_settings.max_deliveries * (worker_settings.retries + 1)  # type: ignore[attr-defined]
    assert store.get_batch(batch["id"], consistent=True)["status"] == "in_progress"

    # Second pass: a normal worker drains the DLQ into the error file and closes the batch.
    closed = run_until_closed(make_worker(worker_settings), batch["id"])
    assert closed["status"] == "completed"
    assert (int(closed["completed"]), int(closed["failed"])) == (5, 1)
    assert [line["custom_id"] for line in output_lines(store, closed["output_file_id"])] == \
        [f"ok-{i}" for i in range(5)]
    [error] = output_lines(store, closed["error_file_id"])
    assert error["custom_id"] == "poisoned" and error["response"] is None
    assert error["error"]["code"] == DELIVERIES_CODE
    assert "RemoteProtocolError" in error["error"]["message"] or "ReadError" in error["error"]["message"]
    assert queue_depth(clients["sqs"], worker_settings.dlq_url) == 0


def test_client_errors_are_reported_per_line_without_retries(
        worker_settings: Settings, store: BatchStore, queue: WorkQueue, backend: FakeOpenAIBackend) -> None:
    batch = submit(store, queue, [request_line("first"), request_line("second")])
    backend.api_key = "another-key"  # the backend now answers 401: a client error, reported and not retried
    closed = run_until_closed(make_worker(worker_settings), batch["id"])
    assert (closed["status"], int(closed["completed"]), int(closed["failed"])) == ("completed", 0, 2)
    assert closed.get("output_file_id") is None
    errors = output_lines(store, closed["error_file_id"])
    assert [line["custom_id"] for line in errors] == ["first", "second"]
    assert {line["error"]["code"] for line in errors} == {"http_401"}
    assert all(line["response"]["status_code"] == 401 for line in errors)
    assert backend.request_count == 2


def test_a_redelivered_message_never_duplicates_a_result(
        worker_settings: Settings, store: BatchStore, queue: WorkQueue, clients: dict[str, Any],
        backend: FakeOpenAIBackend) -> None:
    batch = submit(store, queue, [request_line("only")])
    worker = make_worker(worker_settings)
    [task] = queue.receive(worker_settings.queue_url, 1, 0)
    # Crash after recording, before deleting: the outcome is stored, the message is not deleted.
    worker.store.record_outcome(task.batch_id, task.custom_id, task.line,
                                worker._result(worker.store.get_batch(task.batch_id), task))
    assert store.get_batch(batch["id"], consistent=True)["completed"] == 1
    time.sleep(2.1)  # the queue's visibility timeout
    [again] = queue.receive(worker_settings.queue_url, 1, 1)
    assert again.custom_id == "only" and again.receive_count == 2
    assert worker.handle(again) is True
    closed = store.get_batch(batch["id"], consistent=True)
    assert (closed["status"], int(closed["completed"]), int(closed["failed"])) == ("completed", 1, 0)
    assert len(output_lines(store, closed["output_file_id"])) == 1
    assert backend.request_count == 1
    assert queue_depth(clients["sqs"], worker_settings.queue_url) == 0


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(
        worker_settings: Settings, store: BatchStore, queue: WorkQueue, aws_env: dict[str, str],
        backend: FakeOpenAIBackend) -> None:
    total = 30
    backend.first_token_delay_s = 0.05
    batch = submit(store, queue, [request_line(f"req-{i}") for i in range(total)])
    env = {**os.environ, **aws_env, **replace(worker_settings, poll_wait_s=1).to_env(), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "blueprints.batch.worker"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done = int(store.get_batch(batch["id"], consistent=True)["completed"])
            if done >= 8:
                break
            time.sleep(0.02)
        else:
            raise AssertionError("the worker process recorded nothing")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    interrupted = store.get_batch(batch["id"], consistent=True)
    assert 8 <= int(interrupted["completed"]) < total, "killed too late to prove anything"

    closed = run_until_closed(make_worker(worker_settings), batch["id"], timeout_s=20)
    assert (closed["status"], int(closed["completed"]), int(closed["failed"])) == ("completed", total, 0)
    ids = [line["custom_id"] for line in output_lines(store, closed["output_file_id"])]
    assert ids == [f"req-{i}" for i in range(total)]
    assert backend.request_count >= total
