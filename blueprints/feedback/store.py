"""Feedback records in DynamoDB, one per answer id: the first rating of an answer wins (a conditional put), so a
client that retries, or a user who clicks twice, records it once."""

from __future__ import annotations

import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from blueprints.feedback.protocol import KEY

_serializer, _deserializer = TypeSerializer(), TypeDeserializer()
BATCH_GET_KEYS = 100
"""DynamoDB's limit on keys per BatchGetItem call."""


def _plain(value: Any) -> Any:
    """DynamoDB's numbers (Decimal) as int, its string sets and lists as lists."""
    if isinstance(value, Decimal):
        return int(value)
    return list(value) if isinstance(value, list | set) else value


class FeedbackStore:
    def __init__(self, dynamodb: Any, table: str, clock: Any = time.time) -> None:
        self._db, self._table, self._clock = dynamodb, table, clock

    def put_once(self, record: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        """(True, record) when stored now; (False, the stored record) when this answer already has feedback."""
        record = {**record, "created_at": int(self._clock())}
        item = {name: _serializer.serialize(value) for name, value in record.items()}
        try:
            self._db.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(#key)",
                              ExpressionAttributeNames={"#key": KEY})
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            stored = self._db.get_item(TableName=self._table, Key={KEY: {"S": record[KEY]}}, ConsistentRead=True)
            return False, {name: _plain(_deserializer.deserialize(value)) for name, value in stored["Item"].items()}
        return True, record

    def ratings(self, request_ids: Iterable[str]) -> dict[str, int]:
        """The stored rating of each of these answers that has one (BatchGetItem, 100 keys a call, unprocessed
        keys retried)."""
        ids, found = sorted(set(request_ids)), {}
        for start in range(0, len(ids), BATCH_GET_KEYS):
            pending: dict[str, Any] = {self._table: {
                "Keys": [{KEY: {"S": rid}} for rid in ids[start:start + BATCH_GET_KEYS]],
                "ProjectionExpression": "#key, rating", "ExpressionAttributeNames": {"#key": KEY}}}
            while pending:
                answer = self._db.batch_get_item(RequestItems=pending)
                for item in answer["Responses"].get(self._table, []):
                    found[item[KEY]["S"]] = int(item["rating"]["N"])
                pending = answer.get("UnprocessedKeys") or {}
        return found
