"""Embedding models the retrieval data plane can use, with the vector dimensions each one produces.

The vector index is created with the spec's `retrieval.embedding_dimension`; the spec refuses a dimension the
model cannot produce, so an index and its embeddings can never disagree.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

EmbeddingHosting = Literal["bedrock", "self-hosted"]


class EmbeddingModel(BaseModel, frozen=True):
    name: str
    hosting: EmbeddingHosting
    """Where the model runs: Amazon Bedrock (through the gateway) or the self-hosted embedding server."""
    dimensions: tuple[int, ...]
    """Output dimensions the model supports; the first is its native (largest) one."""
    max_input_tokens: int
    bedrock_model_id: str | None = None
    hf_repo: str | None = None
    hf_revision: str | None = None
    """Self-hosted: the Hugging Face commit the embedding server loads (pinned, never a branch)."""
    source: str


EMBEDDING_MODELS: dict[str, EmbeddingModel] = {
    model.name: model
    for model in (
        EmbeddingModel(
            name="titan-embed-text-v2", hosting="bedrock", dimensions=(1024, 512, 256), max_input_tokens=8192,
            bedrock_model_id="amazon.titan-embed-text-v2:0",
            source="docs.aws.amazon.com/bedrock/latest/userguide/titan-embedding-models.html",
        ),
        EmbeddingModel(
            name="titan-embed-text-v1", hosting="bedrock", dimensions=(1536,), max_input_tokens=8192,
            bedrock_model_id="amazon.titan-embed-text-v1",
            source="docs.aws.amazon.com/bedrock/latest/userguide/titan-embedding-models.html",
        ),
        EmbeddingModel(
            name="cohere-embed-english-v3", hosting="bedrock", dimensions=(1024,), max_input_tokens=512,
            bedrock_model_id="cohere.embed-english-v3",
            source="docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html",
        ),
        EmbeddingModel(
            name="cohere-embed-multilingual-v3", hosting="bedrock", dimensions=(1024,), max_input_tokens=512,
            bedrock_model_id="cohere.embed-multilingual-v3",
            source="docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html",
        ),
        EmbeddingModel(
            name="bge-large-en-v1.5", hosting="self-hosted", dimensions=(1024,), max_input_tokens=512,
            hf_repo="BAAI/bge-large-en-v1.5", hf_revision="d4aa6901d3a41ba39fb536a557fa166f842b0e09",
            source="huggingface.co/BAAI/bge-large-en-v1.5 (model card: hidden size 1024, max length 512)",
        ),
    )
}


def embedding_model(name: str) -> EmbeddingModel:
    return EMBEDDING_MODELS[name]
