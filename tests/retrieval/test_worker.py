"""The ingestion worker on the documents bucket (moto S3) and the real embedded PostgreSQL + pgvector: only new or
modified objects are downloaded, metadata sidecars apply, deletes propagate, a bad object changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from blueprints.retrieval import local
from blueprints.retrieval.errors import RetrievalError
from blueprints.retrieval.pgstore import PgVectorStore
from blueprints.retrieval.settings import Settings
from blueprints.retrieval.store import Filters
from blueprints.retrieval.worker import run_once

pytestmark = pytest.mark.integration
BUCKET = "documents"


class CountingS3:
    """The real (moto) client, counting the objects downloaded."""

    def __init__(self, client: Any) -> None:
        self._client, self.downloaded = client, []

    def get_object(self, **kwargs: Any) -> Any:
        self.downloaded.append(kwargs["Key"])
        return self._client.get_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def s3(rag_home: Path) -> Iterator[CountingS3]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield CountingS3(client)


def test_the_worker_ingests_the_bucket_incrementally(s3: CountingS3, store: PgVectorStore) -> None:
    settings = Settings(index="bucket", database_url=local.database_url(), documents_bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="guides/scaling.md", Body=b"# Scaling\n\nKEDA scales model servers on queues.")
    s3.put_object(Bucket=BUCKET, Key="guides/scaling.md.meta.json", Body=b'{"tenant": "acme"}')
    s3.put_object(Bucket=BUCKET, Key="faq.txt", Body=b"Budgets are enforced per virtual key.")
    s3.put_object(Bucket=BUCKET, Key="logo.png", Body=b"\x89PNG")
    first = run_once(settings, s3)
    assert (first.version, sorted(first.added), first.skipped) == (1, ["faq.txt", "guides/scaling.md"], ["logo.png"])
    [hit] = store.chunks("bucket", 1, Filters(tenant="acme"))
    assert (hit.document_id, hit.source) == ("guides/scaling.md", f"s3://{BUCKET}/guides/scaling.md")

    s3.downloaded.clear()
    again = run_once(settings, s3)
    assert (again.version, again.unchanged, s3.downloaded) == (None, 2, [])

    s3.put_object(Bucket=BUCKET, Key="faq.txt", Body=b"Budgets and rate limits are enforced per virtual key.")
    s3.delete_object(Bucket=BUCKET, Key="guides/scaling.md")
    third = run_once(settings, s3)
    assert (third.version, third.updated, third.deleted, s3.downloaded) == (2, ["faq.txt"], ["guides/scaling.md"],
                                                                            ["faq.txt"])
    assert set(store.documents("bucket", 2)) == {"faq.txt"}

    s3.put_object(Bucket=BUCKET, Key="blank.txt", Body=b"   ")
    with pytest.raises(RetrievalError, match=r"blank\.txt: empty document"):
        run_once(settings, s3)
    assert store.state("bucket").versions == [1, 2] and store.active_version("bucket") == 2
