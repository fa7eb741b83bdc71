"""The retrieval service (FastAPI) on the real embedded PostgreSQL + pgvector: retrieval with filters and
citations, OpenAPI, errors, per-stage latency histograms; the freshness gauge against an S3 bucket in moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from fastapi.testclient import TestClient
from moto import mock_aws

from blueprints.retrieval import local, metrics
from blueprints.retrieval.api import create_app
from blueprints.retrieval.bucket import BucketDocument, pending_age
from blueprints.retrieval.embedders import LocalEmbedder
from blueprints.retrieval.ingest import Settings as IngestSettings
from blueprints.retrieval.ingest import directory_objects, ingest
from blueprints.retrieval.metrics import Registry
from blueprints.retrieval.pgstore import PgVectorStore
from blueprints.retrieval.settings import Settings
from tests.support.net import free_port

pytestmark = pytest.mark.integration
INDEX = "service"


@pytest.fixture(scope="module")
def database_url(rag_home: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    docs = tmp_path_factory.mktemp("docs")
    (docs / "acme").mkdir()
    (docs / "acme" / "gpu.txt").write_text("Karpenter adds GPU nodes for acme when model pods are pending.")
    (docs / "acme" / "gpu.txt.meta.json").write_text('{"tenant": "acme", "acl_groups": ["platform"]}')
    (docs / "globex.txt").write_text("Karpenter adds GPU nodes for globex when model pods are pending.")
    (docs / "globex.txt.meta.json").write_text('{"tenant": "globex"}')
    store = local.open_store()
    try:
        objects, _ = directory_objects(docs)
        ingest(store, LocalEmbedder(), INDEX, objects, IngestSettings())
    finally:
        store.close()
    return local.database_url()


@pytest.fixture
def client(database_url: str) -> TestClient:
    return TestClient(create_app(Settings(index=INDEX, database_url=database_url)))


def test_retrieve_filters_by_tenant_and_acl_and_cites_its_passages(client: TestClient) -> None:
    response = client.post("/v1/retrieve", json={"query": "who adds GPU nodes", "k": 3, "filters": {
        "tenant": "acme", "acl_groups": ["platform"]}, "token_budget": 200})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [chunk["document_id"] for chunk in body["chunks"]] == ["acme/gpu.txt"]
    assert body["citations"] == [{"n": 1, "document_id": "acme/gpu.txt", "chunk_id": "acme/gpu.txt#0",
                                  "source": "acme/gpu.txt", "score": body["chunks"][0]["score"],
                                  "instructions_removed": 0}]
    assert '<document n="1" source="acme/gpu.txt">\n' in body["context"] and 0 < body["context_tokens"] <= 200
    hidden = client.post("/v1/retrieve", json={"query": "who adds GPU nodes", "filters": {
        "tenant": "acme", "acl_groups": ["finance"]}}).json()
    assert hidden["chunks"] == []
    exposition = client.get("/metrics").text
    for stage in ("embedding", "search", "rerank", "assembly"):
        assert f'{metrics.STAGE_SECONDS}_count{{stage="{stage}"}} 2' in exposition
    assert f'{metrics.QUERIES}{{outcome="ok"}} 2' in exposition


def test_openapi_documents_the_retrieve_endpoint(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/v1/retrieve"]["post"]
    assert operation["summary"] == "Retrieve context for a query"
    request = schema["components"]["schemas"]["RetrieveBody"]
    assert {"query", "index", "k", "filters", "hybrid", "rerank", "token_budget"} <= set(request["properties"])
    assert set(schema["components"]["schemas"]["FilterBody"]["properties"]) == {"tenant", "acl_groups",
                                                                                 "source_prefix"}
    assert client.get("/v1/indexes/service").json()["active"] == 1


def test_errors_are_json_with_their_status(client: TestClient, database_url: str) -> None:
    missing = client.post("/v1/retrieve", json={"query": "x", "index": "absent"})
    assert missing.status_code == 404 and "unknown index 'absent'" in missing.json()["error"]["message"]
    assert client.post("/v1/retrieve", json={"query": "x", "k": 0}).status_code == 422
    assert client.post("/v1/retrieve", json={"query": "x", "extra": 1}).status_code == 422
    down = TestClient(create_app(Settings(index=INDEX, database_url=f"postgresql://r@127.0.0.1:{free_port()}/x")))
    response = down.post("/v1/retrieve", json={"query": "x"})
    assert response.status_code == 503 and "vector store unreachable" in response.json()["error"]["message"]
    assert f'{metrics.QUERIES}{{outcome="client_error"}} 1' in client.get("/metrics").text


def test_freshness_compares_the_documents_bucket_with_the_active_version(database_url: str,
                                                                         store: PgVectorStore) -> None:
    indexed = store.source_tags(INDEX, store.active_version(INDEX))
    now = datetime.now(UTC)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="docs")
        for key in (*indexed, "new.md", "ignored.png"):
            s3.put_object(Bucket="docs", Key=key, Body=b"text")
        written = datetime.now(UTC)
        settings = Settings(index=INDEX, database_url=database_url, documents_bucket="docs", region="us-east-1")
        age = settings.bucket_freshness(written + timedelta(seconds=30))
    # Every object was written after the index was built: the newest of them, 30 s before the reading, is the gauge.
    # S3 reports LastModified to the second, so it can read up to 1 s early; the writes took `written - now`.
    assert 30 - 1e-3 <= age <= 30 + (written - now).total_seconds() + 1
    registry = Registry()
    registry.set_freshness(INDEX, age)
    assert f'{metrics.FRESHNESS}{{index="{INDEX}"}} {age!r}' in registry.exposition()
    same = [BucketDocument(key, now - timedelta(hours=1), tag, False) for key, tag in indexed.items()]
    assert pending_age(same, indexed, now) == 0.0
