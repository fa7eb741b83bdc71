"""The retrieval service's configuration, from its environment (set by blueprints.retrieval.manifests):

    RAG_INDEX                 default index alias
    RAG_QDRANT_URL, RAG_QDRANT_API_KEY, RAG_QDRANT_REPLICATION_FACTOR
                              the Qdrant store (`vector_store: qdrant`): http(s)://HOST:6333, its API key and
                              the replication factor of new version collections (1); else pgvector:
    RAG_DATABASE_URL          postgresql://... (local runs, tests), or else IAM authentication:
    RAG_DB_HOST, RAG_DB_PORT, RAG_DB_NAME, RAG_DB_USER, AWS_REGION, RAG_DB_CA_FILE
                              a fresh `rds-db:connect` token per connection, TLS verified against the CA
                              bundle file (the RDS global bundle; unset: the system's trust store)
    RAG_EMBEDDINGS_URL, RAG_EMBEDDINGS_MODEL, RAG_EMBEDDING_DIMENSION, RAG_EMBEDDINGS_API_KEY
                              an OpenAI-compatible embeddings endpoint (the self-hosted embedding server), or
    RAG_BEDROCK_EMBEDDING_MODEL_ID
                              a Bedrock embedding model called with the pod's identity
                              (neither: the offline wordllama model)
    RAG_RERANK_URL, RAG_RERANK_MODEL
                              a Cohere-compatible rerank endpoint (unset: no rerank stage)
    RAG_DOCUMENTS_BUCKET, RAG_FRESHNESS_INTERVAL_S
                              the bucket whose objects the freshness gauge compares with the active version
    RAG_PORT                  listen port (8080)
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import pg8000.native

from blueprints.retrieval.bucket import documents, pending_age
from blueprints.retrieval.embedders import BedrockEmbedder, Embedder, HttpEmbedder, LocalEmbedder
from blueprints.retrieval.errors import RetrievalError
from blueprints.retrieval.metrics import Registry
from blueprints.retrieval.pgstore import PgVectorStore, store_at
from blueprints.retrieval.rerank import HttpReranker, Reranker
from blueprints.retrieval.store import VectorStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    index: str
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None
    qdrant_replication_factor: int = 1
    database_url: str | None = None
    db_host: str | None = None
    db_port: int = 5432
    db_name: str = "rag"
    db_user: str = "retrieval_reader"
    region: str | None = None
    db_ca_file: str | None = None
    embeddings_url: str | None = None
    embeddings_model: str = "embeddings"
    embedding_dimension: int = 256
    embeddings_api_key: str | None = None
    bedrock_model_id: str | None = None
    rerank_url: str | None = None
    rerank_model: str = "rerank"
    documents_bucket: str | None = None
    freshness_interval_s: float = 60.0
    port: int = 8080

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        if "RAG_INDEX" not in env:
            raise RetrievalError("RAG_INDEX is not set: the index alias queries read by default")
        return cls(
            index=env["RAG_INDEX"], qdrant_url=env.get("RAG_QDRANT_URL"),
            qdrant_api_key=env.get("RAG_QDRANT_API_KEY"),
            qdrant_replication_factor=int(env.get("RAG_QDRANT_REPLICATION_FACTOR", "1")),
            database_url=env.get("RAG_DATABASE_URL"),
            db_host=env.get("RAG_DB_HOST"),
            db_port=int(env.get("RAG_DB_PORT", "5432")), db_name=env.get("RAG_DB_NAME", "rag"),
            db_user=env.get("RAG_DB_USER", "retrieval_reader"), region=env.get("AWS_REGION"),
            db_ca_file=env.get("RAG_DB_CA_FILE"),
            embeddings_url=env.get("RAG_EMBEDDINGS_URL"), embeddings_model=env.get("RAG_EMBEDDINGS_MODEL",
                                                                                   "embeddings"),
            embedding_dimension=int(env.get("RAG_EMBEDDING_DIMENSION", "256")),
            embeddings_api_key=env.get("RAG_EMBEDDINGS_API_KEY"),
            bedrock_model_id=env.get("RAG_BEDROCK_EMBEDDING_MODEL_ID"), rerank_url=env.get("RAG_RERANK_URL"),
            rerank_model=env.get("RAG_RERANK_MODEL", "rerank"), documents_bucket=env.get("RAG_DOCUMENTS_BUCKET"),
            freshness_interval_s=float(env.get("RAG_FRESHNESS_INTERVAL_S", "60")),
            port=int(env.get("RAG_PORT", "8080")))

    def store(self) -> VectorStore:
        if self.qdrant_url:
            from blueprints.retrieval.qdrantstore import qdrant_store_at

            return qdrant_store_at(self.qdrant_url, self.qdrant_api_key, self.qdrant_replication_factor)
        if self.database_url:
            return store_at(self.database_url)
        if not self.db_host:
            raise RetrievalError("neither RAG_DATABASE_URL nor RAG_DB_HOST is set", 503)
        import boto3

        rds = boto3.client("rds", region_name=self.region)
        tls = ssl.create_default_context(cafile=self.db_ca_file)

        def connect() -> pg8000.native.Connection:
            token = rds.generate_db_auth_token(self.db_host, self.db_port, self.db_user, self.region)
            return pg8000.native.Connection(self.db_user, host=self.db_host, port=self.db_port,
                                            database=self.db_name, password=token, ssl_context=tls, timeout=10)

        return PgVectorStore(connect, f"{self.db_host}:{self.db_port}")

    def embedder(self) -> Embedder:
        if self.embeddings_url:
            return HttpEmbedder(self.embeddings_url, self.embeddings_model, self.embedding_dimension,
                                self.embeddings_api_key)
        if self.bedrock_model_id:
            return BedrockEmbedder(self.bedrock_model_id, self.embedding_dimension, self.region)
        return LocalEmbedder()

    def reranker(self, embedder: Embedder) -> Reranker | None:
        return HttpReranker(self.rerank_url, self.rerank_model, self.embeddings_api_key) if self.rerank_url \
            else None

    def start_freshness(self, registry: Registry) -> threading.Thread | None:
        """A daemon thread refreshing the freshness gauge of the default index every interval."""
        if not self.documents_bucket:
            return None

        def loop() -> None:
            while True:
                try:
                    registry.set_freshness(self.index, self.bucket_freshness())
                except Exception as error:  # keep the last value; the next round retries
                    log.warning("freshness of %s: %s", self.index, error)
                time.sleep(self.freshness_interval_s)

        thread = threading.Thread(target=loop, name="freshness", daemon=True)
        thread.start()
        return thread

    def bucket_freshness(self, now: datetime | None = None) -> float:
        """Age of the newest document of the documents bucket whose version the active index version lacks."""
        import boto3

        found, _ = documents(boto3.client("s3", region_name=self.region), self.documents_bucket)
        store = self.store()
        try:
            indexed = store.source_tags(self.index, store.active_version(self.index))
        finally:
            store.close()
        return pending_age(found, indexed, now or datetime.now(UTC))

