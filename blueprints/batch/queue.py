"""The work queue: one SQS message per input line, a dead-letter queue behind it (redrive policy)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from blueprints.batch.protocol import InputLine

SEND_BATCH = 10
"""SendMessageBatch takes at most 10 entries."""
SEND_ATTEMPTS = 3
SEND_THREADS = 8
MAX_VISIBILITY_S = 43_200


@dataclass(frozen=True)
class Task:
    """One received message: which line of which batch, and the receipt to delete or delay it with."""

    batch_id: str
    custom_id: str
    line: int
    key: str
    offset: int
    length: int
    receipt: str
    receive_count: int
    body: str


class WorkQueue:
    def __init__(self, sqs: Any, queue_url: str, dlq_url: str):
        self._sqs, self.queue_url, self.dlq_url = sqs, queue_url, dlq_url

    def send_lines(self, batch_id: str, key: str, lines: list[InputLine]) -> None:
        """Enqueue every line (in parallel batches of 10); raises if some cannot be sent after retries."""
        chunks = [lines[i:i + SEND_BATCH] for i in range(0, len(lines), SEND_BATCH)]
        with ThreadPoolExecutor(SEND_THREADS) as pool:
            list(pool.map(lambda chunk: self._send_chunk(batch_id, key, chunk), chunks))

    def _send_chunk(self, batch_id: str, key: str, chunk: list[InputLine]) -> None:
        entries = [{"Id": str(line.index), "MessageBody": json.dumps({
            "batch_id": batch_id, "custom_id": line.custom_id, "line": line.index, "key": key,
            "offset": line.offset, "length": line.length})} for line in chunk]
        for _ in range(SEND_ATTEMPTS):
            failed = self._sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries).get("Failed", [])
            ids = {failure["Id"] for failure in failed}
            entries = [entry for entry in entries if entry["Id"] in ids]
            if not entries:
                return
        raise RuntimeError(f"batch {batch_id}: {len(entries)} lines could not be enqueued")

    def receive(self, url: str, count: int, wait_s: int) -> list[Task]:
        response = self._sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=max(1, min(count, 10)), WaitTimeSeconds=wait_s,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return [_task(message) for message in response.get("Messages", [])]

    def delete(self, url: str, task: Task) -> None:
        self._sqs.delete_message(QueueUrl=url, ReceiptHandle=task.receipt)

    def retry_later(self, task: Task, delay_s: float) -> None:
        """Make a message visible again after `delay_s` (a later delivery; the redrive policy counts them)."""
        self._sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=task.receipt,
                                            VisibilityTimeout=int(min(MAX_VISIBILITY_S, max(0, delay_s))))


def _task(message: dict[str, Any]) -> Task:
    body = json.loads(message["Body"])
    return Task(batch_id=body["batch_id"], custom_id=body["custom_id"], line=int(body["line"]), key=body["key"],
                offset=int(body["offset"]), length=int(body["length"]), receipt=message["ReceiptHandle"],
                receive_count=int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1")),
                body=message["Body"])
