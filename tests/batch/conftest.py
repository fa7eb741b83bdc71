"""A moto server (S3, SQS, DynamoDB, KMS) on 127.0.0.1, fresh batch-tier resources per test, the fake
OpenAI-compatible backend, and a backend that always drops the connection for a poisoned request."""

from __future__ import annotations

import io
import socket
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest

from blueprints.batch.queue import WorkQueue
from blueprints.batch.settings import Settings
from blueprints.batch.store import BatchStore
from tests.fakes import openai_backend
from tests.fakes.openai_backend import FakeOpenAIBackend

REGION = "us-east-1"
POISON = b"POISON-PILL"
"""A request body containing this makes the poison-aware backend drop the connection, every time."""
API_KEY = "sk-gateway-test"


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": REGION}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def clients(aws_env: dict[str, str]) -> dict[str, Any]:
    session = boto3.session.Session(region_name=REGION)
    return {name: session.client(name) for name in ("s3", "sqs", "dynamodb", "kms")}


def make_resources(clients: dict[str, Any], max_deliveries: int) -> Settings:
    """The resources the BatchTier component creates, named uniquely for one test."""
    suffix = uuid.uuid4().hex[:10]
    s3, sqs, dynamodb, kms = clients["s3"], clients["sqs"], clients["dynamodb"], clients["kms"]
    bucket = f"batch-{suffix}"
    s3.create_bucket(Bucket=bucket)
    key_id = kms.create_key(Description="batch data")["KeyMetadata"]["Arn"]
    jobs, requests = f"jobs-{suffix}", f"requests-{suffix}"
    dynamodb.create_table(TableName=jobs, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    dynamodb.create_table(TableName=requests, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "batch_id", "AttributeType": "S"},
                                                {"AttributeName": "custom_id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "batch_id", "KeyType": "HASH"},
                                     {"AttributeName": "custom_id", "KeyType": "RANGE"}])
    dlq_url = sqs.create_queue(QueueName=f"dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=f"work-{suffix}", Attributes={
        "VisibilityTimeout": "2",
        "RedrivePolicy": f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"{max_deliveries}"}}',
    })["QueueUrl"]
    return Settings(bucket=bucket, jobs_table=jobs, requests_table=requests, queue_url=queue_url, dlq_url=dlq_url,
                    kms_key_id=key_id, api_keys=API_KEY, upstream_api_key=API_KEY, concurrency=4, retries=1,
                    max_deliveries=max_deliveries, max_lines=100, request_timeout_s=5, backoff_base_s=0.01,
                    backoff_cap_s=0.05, poll_wait_s=0, dead_letter_interval_s=0, webhook_allow_http=True)


@pytest.fixture
def settings(clients: dict[str, Any]) -> Settings:
    return make_resources(clients, max_deliveries=2)


@pytest.fixture
def store(settings: Settings, clients: dict[str, Any]) -> BatchStore:
    return BatchStore(settings, clients["s3"], clients["dynamodb"])


@pytest.fixture
def queue(settings: Settings, clients: dict[str, Any]) -> WorkQueue:
    return WorkQueue(clients["sqs"], settings.queue_url, settings.dlq_url)


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIBackend]:
    """The shared fake backend, answering normally except for poisoned requests (connection dropped, counted in
    `poisoned`)."""
    plain = openai_backend._handler_for

    def poison_aware(fake: FakeOpenAIBackend) -> type:
        class Handler(plain(fake)):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if POISON in raw:
                    fake.poisoned += 1  # type: ignore[attr-defined]
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.rfile = io.BytesIO(raw)
                super().do_POST()

        return Handler

    monkeypatch.setattr(openai_backend, "_handler_for", poison_aware)
    with FakeOpenAIBackend(name="batch", api_key=API_KEY, first_token_delay_s=0.01) as fake:
        fake.poisoned = 0  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def worker_settings(settings: Settings, backend: FakeOpenAIBackend) -> Settings:
    return replace(settings, upstream_url=backend.base_url)
