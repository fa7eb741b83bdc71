"""The body of every Qdrant version collection, shared by the store and the deployed artifact.

Its own module, without qdrant-client: the offline plan renders the artifact (schema.qdrant_collection) and would
otherwise import the client (about a second of CPU) for a dict.
"""

from __future__ import annotations

from typing import Any

from blueprints.retrieval.pgstore import HNSW_EF_CONSTRUCTION, HNSW_M

VECTOR = "dense"


def version_collection(dimension: int, replication_factor: int = 1) -> dict[str, Any]:
    """The REST body (`PUT /collections/NAME-vN`) of every version collection: the named vector, cosine, on disk,
    the HNSW graph of the pgvector index; the deployed artifact (schema.qdrant_collection) is this body."""
    return {"vectors": {VECTOR: {"size": dimension, "distance": "Cosine", "on_disk": True}},
            "hnsw_config": {"m": HNSW_M, "ef_construct": HNSW_EF_CONSTRUCTION},
            "replication_factor": replication_factor, "write_consistency_factor": 1}
