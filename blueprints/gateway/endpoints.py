"""Where the gateway reaches self-hosted models inside the cluster.

Until the serving component exposes `ModelServing.endpoints`, the address follows the serving convention:
one Service per model, named after the model, in the `serving` namespace, OpenAI API on port 8000.
"""

from __future__ import annotations

from blueprints.spec import PlatformSpec

SERVING_NAMESPACE = "serving"
SERVING_PORT = 8000
"""trtllm-serve's OpenAI-compatible HTTP port."""


def self_hosted_base_url(model_name: str) -> str:
    """The OpenAI base URL of a self-hosted model's Service."""
    return f"http://{model_name}.{SERVING_NAMESPACE}.svc.cluster.local:{SERVING_PORT}/v1"


def self_hosted_endpoints(spec: PlatformSpec) -> dict[str, str]:
    """Model name -> OpenAI base URL of every self-hosted model."""
    return {model.name: self_hosted_base_url(model.name) for model in spec.self_hosted_models}
