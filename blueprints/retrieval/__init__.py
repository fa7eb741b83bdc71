"""Retrieval: the generators of its data plane (schema.py, manifests.py: pure functions of the spec) and the
runtime that runs in the platform and locally (parsing, chunking, versioned pgvector store, ingestion, the query
pipeline, the FastAPI service and the ingestion worker: they import nothing of the IaC side)."""
