"""Pure generators of the retrieval data plane: the embedding-model catalog and the vector index definitions."""
