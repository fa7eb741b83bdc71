"""Amazon Bedrock models the presets route to (as a tier or a fallback), with on-demand token prices."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from blueprints.catalog.lookup import lookup

_SOURCE = "aws.amazon.com/bedrock/pricing, on-demand, us-east-1 (or the launch region), as listed 2025"


class HostedModel(BaseModel, frozen=True):
    name: str
    bedrock_model_id: str
    kind: Literal["chat", "embedding"]
    usd_per_1m_input: float
    usd_per_1m_output: float
    """0 for embedding models (billed on input tokens only)."""
    source: str = _SOURCE

    def usd_for(self, input_tokens: float, output_tokens: float) -> float:
        return (input_tokens * self.usd_per_1m_input + output_tokens * self.usd_per_1m_output) / 1e6


HOSTED_MODELS: dict[str, HostedModel] = {
    model.name: model
    for model in (
        HostedModel(
            name="claude-sonnet-4",
            bedrock_model_id="anthropic.claude-sonnet-4-20250514-v1:0",
            kind="chat",
            usd_per_1m_input=3.00,
            usd_per_1m_output=15.00,
        ),
        HostedModel(
            name="claude-3.7-sonnet",
            bedrock_model_id="anthropic.claude-3-7-sonnet-20250219-v1:0",
            kind="chat",
            usd_per_1m_input=3.00,
            usd_per_1m_output=15.00,
        ),
        HostedModel(
            name="claude-3.5-haiku",
            bedrock_model_id="anthropic.claude-3-5-haiku-20241022-v1:0",
            kind="chat",
            usd_per_1m_input=0.80,
            usd_per_1m_output=4.00,
        ),
        HostedModel(
            name="claude-3-haiku",
            bedrock_model_id="anthropic.claude-3-haiku-20240307-v1:0",
            kind="chat",
            usd_per_1m_input=0.25,
            usd_per_1m_output=1.25,
        ),
        HostedModel(
            name="llama-3.3-70b",
            bedrock_model_id="meta.llama3-3-70b-instruct-v1:0",
            kind="chat",
            usd_per_1m_input=0.72,
            usd_per_1m_output=0.72,
        ),
        HostedModel(
            name="llama-3.1-8b",
            bedrock_model_id="meta.llama3-1-8b-instruct-v1:0",
            kind="chat",
            usd_per_1m_input=0.22,
            usd_per_1m_output=0.22,
        ),
        HostedModel(
            name="llama-3.1-405b",
            bedrock_model_id="meta.llama3-1-405b-instruct-v1:0",
            kind="chat",
            usd_per_1m_input=2.40,
            usd_per_1m_output=2.40,
        ),
        HostedModel(
            name="titan-embed-text-v2",
            bedrock_model_id="amazon.titan-embed-text-v2:0",
            kind="embedding",
            usd_per_1m_input=0.02,
            usd_per_1m_output=0.0,
        ),
        HostedModel(
            name="cohere-embed-english-v3",
            bedrock_model_id="cohere.embed-english-v3",
            kind="embedding",
            usd_per_1m_input=0.10,
            usd_per_1m_output=0.0,
        ),
    )
}


def hosted_named(name: str, what: str = "hosted") -> HostedModel:
    return lookup(HOSTED_MODELS, name, what)
