"""The embedding service: a self-hosted text-embeddings-inference server in the cluster, or Amazon Bedrock.

Either way applications call one OpenAI-compatible model, `EMBEDDINGS_MODEL_NAME`, on the gateway; the gateway
route (`gateway_route`) points at Bedrock or at this namespace's Service.
"""

from __future__ import annotations

from typing import Any

import pulumi

from blueprints.catalog.embeddings import EMBEDDING_MODELS
from blueprints.components.kube import apply_manifest
from blueprints.retrieval.manifests import embeddings_objects
from blueprints.spec import RetrievalSpec

EMBEDDINGS_MODEL_NAME = "embeddings"
"""The model name applications send to the gateway's `/v1/embeddings`."""


def service_url(namespace: str) -> str:
    return f"http://embeddings.{namespace}.svc.cluster.local/v1"


def gateway_route(spec: RetrievalSpec, region: str, namespace: str) -> dict[str, Any]:
    """The LiteLLM `model_list` entry that serves `EMBEDDINGS_MODEL_NAME` (for the gateway's config)."""
    model = EMBEDDING_MODELS[spec.embedding_model]
    if spec.embedding_hosting == "bedrock":
        params: dict[str, Any] = {"model": f"bedrock/{model.bedrock_model_id}", "aws_region_name": region}
        if len(model.dimensions) > 1:
            params["dimensions"] = spec.embedding_dimension
    else:
        # text-embeddings-inference speaks the OpenAI embeddings API and checks no key inside the cluster.
        params = {"model": f"openai/{model.hf_repo}", "api_base": service_url(namespace), "api_key": "in-cluster"}
    return {"model_name": EMBEDDINGS_MODEL_NAME, "litellm_params": params,
            "model_info": {"mode": "embedding", "output_vector_size": spec.embedding_dimension}}


class Embeddings(pulumi.ComponentResource):
    """Self-hosted embedding server objects (nothing in the cluster for Bedrock) and the gateway route."""

    def __init__(self, name: str, spec: RetrievalSpec, region: str, namespace: str,
                 opts: pulumi.ResourceOptions):
        super().__init__("blueprints:retrieval:Embeddings", name, None, opts)
        self.route = gateway_route(spec, region, namespace)
        if spec.embedding_hosting == "self-hosted":
            replicas = 2 if spec.multi_az else 1
            for manifest in embeddings_objects(EMBEDDING_MODELS[spec.embedding_model], namespace, replicas):
                apply_manifest(f"{name}-{manifest['kind'].lower()}", manifest, pulumi.ResourceOptions(parent=self))
        self.register_outputs({"model_name": EMBEDDINGS_MODEL_NAME})
