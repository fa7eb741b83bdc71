"""Files, batches and per-request results in S3 and DynamoDB.

Exactly-once results over at-least-once delivery: a line's outcome is written by one DynamoDB transaction that
puts its request record only if none with an outcome exists (`attribute_not_exists(outcome)`) and adds one to
the batch's completed or failed counter. A redelivered message finds the record and writes nothing. The batch
is finalized (output and error files written, status set) by whichever worker sees the counters reach the
total; finalizing is idempotent (deterministic file ids, same content), so a worker that dies midway is
replaced by the redelivery of the message it had not deleted yet.
"""

from __future__ import annotations

import json
import time
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from blueprints.batch.protocol import (
    CANCELLED_CODE,
    COMPLETION_WINDOWS,
    EXPIRED_CODE,
    OPEN_STATUSES,
    TERMINAL_STATUSES,
    InputLine,
    new_id,
    output_file_ids,
    scan_input,
)
from blueprints.batch.settings import Settings

INLINE_RESULT_BYTES = 350_000
"""Results larger than this go to S3 (a DynamoDB item holds at most 400 KB)."""
DAY_S = 86_400

_serializer, _deserializer = TypeSerializer(), TypeDeserializer()


def _item(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in values.items() if value is not None}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def _condition_failed(error: ClientError) -> bool:
    code = error.response["Error"]["Code"]
    if code == "ConditionalCheckFailedException":
        return True
    reasons = error.response.get("CancellationReasons") or []
    return code == "TransactionCanceledException" and any(
        reason.get("Code") == "ConditionalCheckFailed" for reason in reasons)


class BatchStore:
    def __init__(self, settings: Settings, s3: Any, dynamodb: Any, clock: Any = time.time):
        self.settings, self._s3, self._db, self._clock = settings, s3, dynamodb, clock

    def now(self) -> int:
        return int(self._clock())

    # Objects ---------------------------------------------------------------------------------------------

    def _put_object(self, key: str, data: bytes, content_type: str) -> None:
        extra = ({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.settings.kms_key_id}
                 if self.settings.kms_key_id else {})
        self._s3.put_object(Bucket=self.settings.bucket, Key=key, Body=data, ContentType=content_type, **extra)

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        response = self._s3.get_object(Bucket=self.settings.bucket, Key=key,
                                       Range=f"bytes={offset}-{offset + length - 1}")
        return response["Body"].read()

    def _read(self, key: str) -> bytes:
        return self._s3.get_object(Bucket=self.settings.bucket, Key=key)["Body"].read()

    # Files -----------------------------------------------------------------------------------------------

    def put_file(self, data: bytes, filename: str, purpose: str, file_id: str | None = None) -> dict[str, Any]:
        file_id = file_id or new_id("file-")
        key = f"files/{file_id}"
        self._put_object(key, data, "application/jsonl")
        item = {"id": file_id, "kind": "file", "bytes": len(data), "created_at": self.now(), "filename": filename,
                "purpose": purpose, "key": key, "expires_at": self.now() + self.settings.retention_days * DAY_S}
        self._db.put_item(TableName=self.settings.jobs_table, Item=_item(item))
        return item

    def get_file(self, file_id: str) -> dict[str, Any] | None:
        item = self._get(file_id)
        return item if item and item.get("kind") == "file" else None

    def file_content(self, item: dict[str, Any]) -> bytes:
        return self._read(item["key"])

    # Batches ---------------------------------------------------------------------------------------------

    def _get(self, item_id: str, consistent: bool = False) -> dict[str, Any] | None:
        response = self._db.get_item(TableName=self.settings.jobs_table, Key=_item({"id": item_id}),
                                     ConsistentRead=consistent)
        return _plain(response["Item"]) if "Item" in response else None

    def get_batch(self, batch_id: str, consistent: bool = False) -> dict[str, Any] | None:
        item = self._get(batch_id, consistent)
        return item if item and item.get("kind") == "batch" else None

    def create_batch(
        self, input_file: dict[str, Any], endpoint: str, completion_window: str, metadata: dict[str, str] | None,
        webhook_url: str | None,
    ) -> tuple[dict[str, Any], list[InputLine]]:
        """Validate the input file and record the batch: `validating`, then `failed` with the validation errors
        or (after the caller enqueued the lines, see `start`) `in_progress`."""
        now = self.now()
        item = {"id": new_id("batch_"), "kind": "batch", "endpoint": endpoint, "input_file_id": input_file["id"],
                "input_key": input_file["key"], "completion_window": completion_window, "status": "validating",
                "created_at": now, "expires_at": now + COMPLETION_WINDOWS[completion_window],
                "total": 0, "completed": 0, "failed": 0, "metadata": metadata or None, "webhook_url": webhook_url}
        self._db.put_item(TableName=self.settings.jobs_table, Item=_item(item),
                          ConditionExpression="attribute_not_exists(id)")
        lines, errors = scan_input(self.file_content(input_file), endpoint, self.settings.max_lines)
        if errors:
            return self._set_status(item["id"], "failed", {"errors": json.dumps(errors)}), []
        return item, lines

    def start(self, batch_id: str, total: int) -> dict[str, Any]:
        return self._set_status(batch_id, "in_progress", {"total": total})

    def cancel(self, batch_id: str) -> dict[str, Any] | None:
        """`cancelling` until the remaining lines are recorded as cancelled; other statuses are unchanged."""
        try:
            return self._set_status(batch_id, "cancelling", {}, allowed=("in_progress",))
        except ClientError as error:
            if not _condition_failed(error):
                raise
            return self.get_batch(batch_id, consistent=True)

    def _set_status(self, batch_id: str, status: str, extra: dict[str, Any],
                    allowed: tuple[str, ...] = OPEN_STATUSES) -> dict[str, Any]:
        values = {"status": status, f"{status}_at": self.now(), **extra}
        names = {f"#k{i}": key for i, key in enumerate(values)}
        updates = ", ".join(f"#k{i} = :v{i}" for i in range(len(values)))
        placeholders = {f":v{i}": _serializer.serialize(value) for i, value in enumerate(values.values())}
        placeholders.update({f":s{i}": _serializer.serialize(state) for i, state in enumerate(allowed)})
        response = self._db.update_item(
            TableName=self.settings.jobs_table, Key=_item({"id": batch_id}),
            UpdateExpression=f"SET {updates}",
            ConditionExpression=f"#status IN ({', '.join(f':s{i}' for i in range(len(allowed)))})",
            ExpressionAttributeNames={**names, "#status": "status"},
            ExpressionAttributeValues=placeholders, ReturnValues="ALL_NEW",
        )
        return _plain(response["Attributes"])

    # Request records -------------------------------------------------------------------------------------

    def _request_key(self, batch_id: str, custom_id: str) -> dict[str, Any]:
        return _item({"batch_id": batch_id, "custom_id": custom_id})

    def request_record(self, batch_id: str, custom_id: str) -> dict[str, Any] | None:
        response = self._db.get_item(TableName=self.settings.requests_table,
                                     Key=self._request_key(batch_id, custom_id), ConsistentRead=True)
        return _plain(response["Item"]) if "Item" in response else None

    def has_outcome(self, batch_id: str, custom_id: str) -> bool:
        record = self.request_record(batch_id, custom_id)
        return bool(record and "outcome" in record)

    def note_attempt(self, batch_id: str, custom_id: str, error: str) -> None:
        """Remember a failed delivery (its error goes into the error file if the line ends in the DLQ)."""
        try:
            self._db.update_item(
                TableName=self.settings.requests_table, Key=self._request_key(batch_id, custom_id),
                UpdateExpression="SET last_error = :e, expires_at = :x ADD attempts :one",
                ConditionExpression="attribute_not_exists(outcome)",
                ExpressionAttributeValues=_item({":e": error[:1000], ":one": 1, ":x": self._record_expiry()}),
            )
        except ClientError as failure:
            if not _condition_failed(failure):
                raise

    def last_error(self, batch_id: str, custom_id: str) -> str | None:
        record = self.request_record(batch_id, custom_id)
        return record.get("last_error") if record else None

    def _record_expiry(self) -> int:
        return self.now() + self.settings.retention_days * DAY_S

    def record_outcome(self, batch_id: str, custom_id: str, line: int, result: dict[str, Any]) -> bool:
        """Write one line's result exactly once. Returns False when it was already recorded (a redelivery)."""
        failed = result.get("error") is not None
        text = json.dumps(result, separators=(",", ":"))
        record: dict[str, Any] = {"batch_id": batch_id, "custom_id": custom_id, "line": line,
                                  "outcome": "failed" if failed else "completed", "expires_at": self._record_expiry(),
                                  "error_code": result["error"]["code"] if failed else None}
        if len(text.encode()) > INLINE_RESULT_BYTES:
            record["result_key"] = f"results/{batch_id}/{line:06d}.json"
            self._put_object(record["result_key"], text.encode(), "application/json")
        else:
            record["result"] = text
        counter = "failed" if failed else "completed"
        try:
            self._db.transact_write_items(TransactItems=[
                {"Put": {"TableName": self.settings.requests_table, "Item": _item(record),
                         "ConditionExpression": "attribute_not_exists(outcome)"}},
                {"Update": {"TableName": self.settings.jobs_table, "Key": _item({"id": batch_id}),
                            "UpdateExpression": "ADD #c :one", "ExpressionAttributeNames": {"#c": counter},
                            "ExpressionAttributeValues": _item({":one": 1})}},
            ])
        except ClientError as error:
            if _condition_failed(error):
                return False
            raise
        return True

    def _results(self, batch_id: str) -> list[dict[str, Any]]:
        records, start = [], None
        while True:
            page = self._db.query(
                TableName=self.settings.requests_table, KeyConditionExpression="batch_id = :b",
                ExpressionAttributeValues=_item({":b": batch_id}), ConsistentRead=True,
                **({"ExclusiveStartKey": start} if start else {}))
            records += [_plain(item) for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        return sorted((r for r in records if "outcome" in r), key=lambda record: int(record["line"]))

    # Finalizing ------------------------------------------------------------------------------------------

    def finalize(self, batch_id: str) -> dict[str, Any] | None:
        """Write the output and error files and close the batch once every line has an outcome. Returns the
        batch when this call closed it (the caller then sends the webhook), else None."""
        batch = self.get_batch(batch_id, consistent=True)
        if batch is None or batch["status"] in TERMINAL_STATUSES or batch["status"] == "validating":
            return None
        if int(batch["completed"]) + int(batch["failed"]) < int(batch["total"]):
            return None
        if batch["status"] == "in_progress":
            self.mark_finalizing(batch_id)
        output_id, error_id = output_file_ids(batch_id)
        outputs: list[bytes] = []
        errors: list[bytes] = []
        records = self._results(batch_id)
        for record in records:
            text = record["result"].encode() if "result" in record else self._read(record["result_key"])
            (errors if record["outcome"] == "failed" else outputs).append(text + b"\n")
        expired = any(record.get("error_code") == EXPIRED_CODE for record in records)
        extra: dict[str, Any] = {"output_file_id": output_id if outputs else None,
                                 "error_file_id": error_id if errors else None}
        if outputs:
            self.put_file(b"".join(outputs), f"{batch_id}_output.jsonl", "batch_output", output_id)
        if errors:
            self.put_file(b"".join(errors), f"{batch_id}_error.jsonl", "batch_output", error_id)
        status = "cancelled" if batch["status"] == "cancelling" else "expired" if expired else "completed"
        try:
            return self._set_status(batch_id, status, {k: v for k, v in extra.items() if v},
                                    allowed=("in_progress", "finalizing", "cancelling"))
        except ClientError as error:
            if _condition_failed(error):
                return None
            raise

    def mark_finalizing(self, batch_id: str) -> None:
        try:
            self._set_status(batch_id, "finalizing", {}, allowed=("in_progress",))
        except ClientError as error:
            if not _condition_failed(error):
                raise

    def closing_reason(self, batch: dict[str, Any]) -> str | None:
        """Why the batch's remaining lines are not sent upstream: cancelled, or past its completion window."""
        if batch["status"] in ("cancelling", "cancelled"):
            return CANCELLED_CODE
        if self.now() > int(batch["expires_at"]):
            return EXPIRED_CODE
        return None

    def record_webhook(self, batch_id: str, outcome: str) -> None:
        self._db.update_item(TableName=self.settings.jobs_table, Key=_item({"id": batch_id}),
                             UpdateExpression="SET webhook_status = :w",
                             ExpressionAttributeValues=_item({":w": outcome}))
