"""Text to vectors, in batches: the offline wordllama model, or an OpenAI-compatible `/v1/embeddings` endpoint
(the gateway's `embeddings` model in the presets)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import httpx
import numpy as np

from blueprints.retrieval.errors import RetrievalError

DEFAULT_BATCH = 64


class Embedder(Protocol):
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1, norms)


class LocalEmbedder:
    """wordllama (weights in its wheel): 256 dimensions, CPU, no network."""

    dimension = 256

    def __init__(self, batch_size: int = DEFAULT_BATCH):
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        from blueprints.local_embeddings import DIMENSION, embed

        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        batches = [embed(texts[start:start + self.batch_size]) for start in range(0, len(texts), self.batch_size)]
        return np.vstack(batches).astype(np.float32)


class HttpEmbedder:
    """POST {base_url}/v1/embeddings with `model` and a batch of inputs; rows checked against `dimension`."""

    def __init__(self, base_url: str, model: str, dimension: int, api_key: str | None = None,
                 batch_size: int = DEFAULT_BATCH, timeout_s: float = 30.0):
        self.dimension, self.batch_size, self._model = dimension, batch_size, model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start:start + self.batch_size])
            try:
                response = self._client.post("/v1/embeddings", json={"model": self._model, "input": batch})
            except httpx.HTTPError as error:
                raise RetrievalError(f"embedding endpoint unreachable: {error}", 503) from None
            if response.status_code != 200:
                raise RetrievalError(f"embedding endpoint answered {response.status_code}: {response.text[:200]}",
                                     502)
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            rows.extend(item["embedding"] for item in data)
        matrix = np.array(rows, dtype=np.float32).reshape(len(rows), -1) if rows else \
            np.zeros((0, self.dimension), dtype=np.float32)
        if matrix.shape[1] != self.dimension:
            raise RetrievalError(f"embedding model {self._model} returned {matrix.shape[1]} dimensions, the index "
                                 f"stores {self.dimension}", 502)
        return _normalise(matrix)


class BedrockEmbedder:
    """Amazon Bedrock InvokeModel with the pod's own identity: Titan text embeddings (one text a call, `dimensions`,
    normalised) or Cohere embed v3 (up to 96 texts a call, `input_type` search_document / search_query)."""

    COHERE_BATCH = 96

    def __init__(self, model_id: str, dimension: int, region: str | None = None):
        import boto3

        self.dimension, self._model_id = dimension, model_id
        self._client = boto3.client("bedrock-runtime", region_name=region)

    def _invoke(self, body: dict) -> dict:
        import json

        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._client.invoke_model(modelId=self._model_id, body=json.dumps(body),
                                                 contentType="application/json", accept="application/json")
        except (BotoCoreError, ClientError) as error:
            raise RetrievalError(f"Bedrock {self._model_id}: {error}", 502) from None
        return json.loads(response["body"].read())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        if self._model_id.startswith("cohere."):
            for start in range(0, len(texts), self.COHERE_BATCH):
                rows += self._invoke({"texts": list(texts[start:start + self.COHERE_BATCH]),
                                      "input_type": "search_document"})["embeddings"]
        else:
            dims = {"dimensions": self.dimension, "normalize": True} if "v2" in self._model_id else {}
            rows = [self._invoke({"inputText": text, **dims})["embedding"] for text in texts]
        matrix = np.array(rows, dtype=np.float32).reshape(len(rows), -1) if rows else \
            np.zeros((0, self.dimension), dtype=np.float32)
        if matrix.shape[1] != self.dimension:
            raise RetrievalError(f"Bedrock {self._model_id} returned {matrix.shape[1]} dimensions, the index stores "
                                 f"{self.dimension}", 502)
        return _normalise(matrix)
