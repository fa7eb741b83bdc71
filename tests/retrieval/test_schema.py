"""Vector index definitions follow the spec's dimension in every store."""

from __future__ import annotations

import pytest
from qdrant_client.models import CreateCollection

from blueprints.catalog.embeddings import EMBEDDING_MODELS
from blueprints.retrieval.qdrantstore import VECTOR
from blueprints.retrieval.schema import opensearch_index, pgvector_schema, qdrant_collection
from blueprints.spec import RetrievalSpec


def test_every_store_uses_the_spec_dimension_and_index_name() -> None:
    spec = RetrievalSpec(enabled=True, embedding_model="titan-embed-text-v2", embedding_dimension=512,
                         index_name="handbook")
    sql = pgvector_schema(spec)
    assert "CREATE TABLE IF NOT EXISTS rag_chunk (" in sql
    assert "embedding vector(512) NOT NULL" in sql
    assert "USING hnsw (embedding vector_cosine_ops)" in sql
    mapping = opensearch_index(spec)["mappings"]["properties"]["embedding"]
    assert mapping["type"] == "knn_vector" and mapping["dimension"] == 512
    assert opensearch_index(spec)["settings"]["index"]["knn"] is True
    # The body as Qdrant's REST API reads it (qdrant-client's model of `PUT /collections/{name}`).
    body = CreateCollection.model_validate(qdrant_collection(spec, replicas=3))
    assert (body.vectors[VECTOR].size, body.vectors[VECTOR].distance, body.replication_factor) == (512, "Cosine", 2)
    assert qdrant_collection(spec, replicas=1)["replication_factor"] == 1


@pytest.mark.parametrize("name", sorted(EMBEDDING_MODELS))
def test_catalog_entries_name_where_they_run(name: str) -> None:
    model = EMBEDDING_MODELS[name]
    assert model.dimensions and model.dimensions[0] == max(model.dimensions)
    if model.hosting == "bedrock":
        assert model.bedrock_model_id and not model.hf_repo
    else:
        assert model.hf_repo and len(model.hf_revision or "") == 40, "self-hosted weights are pinned to a commit"
