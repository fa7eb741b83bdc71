"""The batch worker: takes one line per SQS message, calls the gateway (OpenAI-compatible) with bounded
concurrency and retries, and records each line's result exactly once.

Per message: a line that already has an outcome (a redelivery) is not sent again; a cancelled or expired
batch's line is recorded as such without a call; otherwise the request is sent, retried on 408/429/5xx and
connection errors with exponential backoff and full jitter (bounded), and its response recorded (2xx in the
output file, anything else in the error file). A line still failing after its retries is left on the queue and
comes back later; after `max_deliveries` deliveries SQS moves it to the dead-letter queue, which the worker
drains into error records. The message is deleted only after the outcome is recorded and the batch finalized
if it was the last line, so a worker killed at any point loses nothing.

Run: `python -m blueprints.batch.worker` with the BATCH_* environment (blueprints.batch.settings).
"""

from __future__ import annotations

import json
import logging
import random
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import boto3
import httpx

from blueprints.batch.protocol import (
    CANCELLED_CODE,
    DELIVERIES_CODE,
    EXPIRED_CODE,
    completion_event,
    error_line,
    result_line,
)
from blueprints.batch.queue import Task, WorkQueue
from blueprints.batch.settings import Settings
from blueprints.batch.store import BatchStore

log = logging.getLogger("blueprints.batch.worker")

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
WEBHOOK_ATTEMPTS = 3
WEBHOOK_TIMEOUT_S = 10.0
NOT_SENT = {CANCELLED_CODE: "not sent: the batch was cancelled",
            EXPIRED_CODE: "not sent before the batch's completion window ended"}


class RetryableError(Exception):
    """The upstream call failed in a way a later attempt may not (rate limit, server error, connection)."""


def backoff_delays(retries: int, base_s: float, cap_s: float, rng: random.Random) -> list[float]:
    """Waits before each retry: exponential with full jitter, each at most `cap_s` (AWS Architecture Blog,
    "Exponential Backoff And Jitter")."""
    return [rng.uniform(0, min(cap_s, base_s * 2 ** attempt)) for attempt in range(retries)]


class Upstream:
    """The OpenAI-compatible API the worker sends requests to (the gateway)."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None):
        self._key = settings.upstream_key()
        self._client = httpx.Client(
            base_url=settings.upstream_url.rstrip("/").removesuffix("/v1"),
            timeout=settings.request_timeout_s, transport=transport,
            limits=httpx.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency),
        )

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any, str]:
        """(status, JSON body, request id); raises RetryableError for failures worth another attempt."""
        key = self._key.current()
        try:
            response = self._send(path, body, key)
            # Rotated key not yet loaded by the gateway (it reads its keys at start): the one before still works.
            if response.status_code == 401 and self._key.previous and self._key.previous != key:
                response = self._send(path, body, self._key.previous)
        except httpx.TransportError as error:
            raise RetryableError(f"{type(error).__name__}: {error}") from error
        if response.status_code in RETRYABLE_STATUS:
            raise RetryableError(f"HTTP {response.status_code}: {response.text[:300]}")
        try:
            payload = response.json()
        except ValueError:
            payload = {"error": {"message": response.text[:1000], "type": "invalid_response"}}
        return response.status_code, payload, response.headers.get("x-request-id", "")

    def _send(self, path: str, body: dict[str, Any], key: str) -> httpx.Response:
        return self._client.post(path, json=body, headers={"Authorization": f"Bearer {key}"} if key else None)

    def close(self) -> None:
        self._client.close()


class Worker:
    def __init__(self, settings: Settings, store: BatchStore, queue: WorkQueue, upstream: Upstream,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None):
        self.settings, self.store, self.queue, self.upstream = settings, store, queue, upstream
        self._sleep, self._rng = sleep, rng or random.Random()

    # One message -----------------------------------------------------------------------------------------

    def handle(self, task: Task) -> bool:
        """Process one message; True when it was settled (and deleted), False when left for a later delivery."""
        batch = self.store.get_batch(task.batch_id)
        if batch is None:
            log.warning("message for unknown batch %s dropped", task.batch_id)
            self.queue.delete(self.queue.queue_url, task)
            return True
        if not self.store.has_outcome(task.batch_id, task.custom_id):
            result = self._result(batch, task)
            if result is None:
                self.queue.retry_later(task, self._redelivery_delay(task))
                return False
            self.store.record_outcome(task.batch_id, task.custom_id, task.line, result)
        self._finalize(task.batch_id)
        self.queue.delete(self.queue.queue_url, task)
        return True

    def _result(self, batch: dict[str, Any], task: Task) -> dict[str, Any] | None:
        reason = self.store.closing_reason(batch)
        if reason is not None:
            return error_line(task.custom_id, reason, NOT_SENT[reason])
        request = json.loads(self.store.read_range(task.key, task.offset, task.length))
        delays = backoff_delays(self.settings.retries, self.settings.backoff_base_s, self.settings.backoff_cap_s,
                                self._rng)
        for attempt in range(self.settings.retries + 1):
            try:
                status, body, request_id = self.upstream.post(request["url"], request["body"])
            except RetryableError as error:
                if attempt == self.settings.retries:
                    self.store.note_attempt(task.batch_id, task.custom_id, str(error))
                    log.info("line %s of %s failed delivery %d: %s", task.custom_id, task.batch_id,
                             task.receive_count, error)
                    return None
                self._sleep(delays[attempt])
                continue
            if 200 <= status < 300:
                return result_line(task.custom_id, status, body, request_id)
            message = body.get("error", {}).get("message", "") if isinstance(body, dict) else ""
            return error_line(task.custom_id, f"http_{status}", message or f"HTTP {status}",
                              {"status_code": status, "request_id": request_id, "body": body})
        return None

    def _redelivery_delay(self, task: Task) -> float:
        """Wait before the next delivery grows with the deliveries so far (bounded by the backoff cap)."""
        return min(self.settings.backoff_cap_s, self.settings.backoff_base_s * 2 ** task.receive_count)

    def _finalize(self, batch_id: str) -> None:
        closed = self.store.finalize(batch_id)
        if closed is not None:
            log.info("batch %s %s", batch_id, closed["status"])
            if closed.get("webhook_url"):
                self.store.record_webhook(batch_id, self._notify(closed))

    def _notify(self, batch: dict[str, Any]) -> str:
        """POST the completion event to the batch's webhook (bounded retries); returns what happened."""
        event = completion_event(batch, self.store.now())
        for attempt in range(WEBHOOK_ATTEMPTS):
            try:
                response = httpx.post(batch["webhook_url"], json=event, timeout=WEBHOOK_TIMEOUT_S)
                if response.status_code < 300:
                    return "delivered"
                outcome = f"HTTP {response.status_code}"
            except httpx.HTTPError as error:
                outcome = type(error).__name__
            if attempt + 1 < WEBHOOK_ATTEMPTS:
                self._sleep(self.settings.backoff_base_s * 2 ** attempt)
        return f"failed: {outcome}"

    # Dead letters ----------------------------------------------------------------------------------------

    def drain_dead_letters(self) -> int:
        """Record every dead-lettered line as failed (with its last error) and finalize its batch."""
        drained = 0
        while True:
            tasks = self.queue.receive(self.settings.dlq_url, 10, 0)
            if not tasks:
                return drained
            for task in tasks:
                last = self.store.last_error(task.batch_id, task.custom_id) or "unknown"
                result = error_line(task.custom_id, DELIVERIES_CODE,
                                    f"failed on {self.settings.max_deliveries} deliveries; last error: {last}")
                if self.store.get_batch(task.batch_id) is not None:
                    self.store.record_outcome(task.batch_id, task.custom_id, task.line, result)
                    self._finalize(task.batch_id)
                self.queue.delete(self.settings.dlq_url, task)
                drained += 1

    # The loop --------------------------------------------------------------------------------------------

    def _safe_handle(self, task: Task) -> None:
        try:
            self.handle(task)
        except Exception:  # a failed message stays on the queue and is redelivered
            log.exception("line %s of batch %s not settled", task.custom_id, task.batch_id)

    def run(self, stop: threading.Event, max_polls: int | None = None) -> None:
        """Poll until `stop` is set (or `max_polls` receives), at most `concurrency` lines in flight; in-flight
        lines finish before it returns."""
        in_flight: set[Future[None]] = set()
        next_drain, polls = 0.0, 0
        with ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="batch") as pool:
            while not stop.is_set() and (max_polls is None or polls < max_polls):
                if self.settings.heartbeat_file:
                    Path(self.settings.heartbeat_file).touch()
                in_flight = {future for future in in_flight if not future.done()}
                free = self.settings.concurrency - len(in_flight)
                if free <= 0:
                    wait(in_flight, timeout=1.0, return_when=FIRST_COMPLETED)
                    continue
                polls += 1
                for task in self.queue.receive(self.settings.queue_url, free, self.settings.poll_wait_s):
                    in_flight.add(pool.submit(self._safe_handle, task))
                if time.monotonic() >= next_drain:
                    self.drain_dead_letters()
                    next_drain = time.monotonic() + self.settings.dead_letter_interval_s
            wait(in_flight)


def from_settings(settings: Settings) -> Worker:
    session = boto3.session.Session()
    store = BatchStore(settings, session.client("s3"), session.client("dynamodb"))
    queue = WorkQueue(session.client("sqs"), settings.queue_url, settings.dlq_url)
    return Worker(settings, store, queue, Upstream(settings))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format='{"level":"%(levelname)s","msg":"%(message)s"}')
    worker = from_settings(Settings.from_env())
    stop = threading.Event()
    # Kubernetes sends SIGTERM before a pod goes (scale-in, spot reclaim): finish what is in flight, take no more.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker.run(stop)


if __name__ == "__main__":
    main()
