"""Hosted model providers besides Amazon Bedrock, reached through the gateway with an API key a person supplies:
OpenAI, Anthropic, Azure OpenAI and Google Vertex AI. Per model: the provider's own model ID and its list token
prices; per provider: the LiteLLM route prefix, the credential it needs and where it processes prompts.

Prices are each provider's published pay-as-you-go list prices (standard tier, global deployment for Azure,
up to 200k input tokens for Gemini) as LiteLLM 1.81.16 carries them in
litellm/model_prices_and_context_window_backup.json (tests/catalog/test_hosted.py compares every entry with it).

Where prompts are processed (residency): Azure OpenAI processes a Standard (regional) deployment in its resource's
Azure region, Vertex AI in the location the request names (`vertex_location`). OpenAI's and Anthropic's public APIs
are called at one global address that nothing in this config pins to a region: their region is `global`, which a
residency allowlist admits only when it says `openai:global` / `anthropic:global`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from blueprints.catalog.hosted import HOSTED_MODELS, HostedModel
from blueprints.catalog.lookup import lookup

Provider = Literal["openai", "anthropic", "azure", "vertex"]
PROVIDERS: tuple[Provider, ...] = ("openai", "anthropic", "azure", "vertex")
GLOBAL = "global"
"""The region of a provider whose API this config cannot pin to one."""

PRICES_AS_OF = "the LiteLLM 1.81.16 release (checked 2026-12-04)"
"""Prices as the pinned gateway release carries them; re-check the pricing pages when LiteLLM is bumped."""


class ProviderFacts(BaseModel, frozen=True):
    """How LiteLLM reaches a provider and which credential it takes."""

    provider: Provider
    litellm_prefix: str
    """LiteLLM 1.81.16 route prefix (litellm/types/utils.py LlmProviders: openai, anthropic, azure, vertex_ai)."""
    credential_env: str
    """Environment variable holding the credential in the gateway (from Secrets Manager)."""
    credential: str
    """What the person supplies (stack config, `pulumi config set --secret`)."""
    config_key: str
    """Stack config key (namespace llm-platform) of that credential."""
    regions: tuple[str, ...] | None
    """Regions the provider may process prompts in as this config selects them; None: any of the provider's own
    region names (checked by the provider when the gateway calls it)."""
    pricing_page: str
    hosts: tuple[str, ...] = ()
    """Internet hosts the gateway calls when no `api_base` replaces them ({location}: the model's location):
    LiteLLM 1.81.16's default addresses (openai: api.openai.com; anthropic: api.anthropic.com, litellm/main.py;
    vertex_ai: {location}-aiplatform.googleapis.com, llms/vertex_ai/common_utils.py get_vertex_base_url, plus the
    `token_uri` of Google service-account keys, oauth2.googleapis.com, where the key is exchanged for a token).
    Azure has none: its `api_base` is required."""

    def hosts_for(self, location: str | None) -> tuple[str, ...]:
        return tuple(host.format(location=location) for host in self.hosts)


PROVIDER_FACTS: dict[Provider, ProviderFacts] = {
    facts.provider: facts
    for facts in (
        ProviderFacts(provider="openai", litellm_prefix="openai", credential_env="OPENAI_API_KEY",
                      credential="an OpenAI API key", config_key="openaiApiKey", regions=(GLOBAL,),
                      pricing_page="https://platform.openai.com/docs/pricing", hosts=("api.openai.com",)),
        ProviderFacts(provider="anthropic", litellm_prefix="anthropic", credential_env="ANTHROPIC_API_KEY",
                      credential="an Anthropic API key", config_key="anthropicApiKey", regions=(GLOBAL,),
                      pricing_page="https://docs.anthropic.com/en/docs/about-claude/pricing",
                      hosts=("api.anthropic.com",)),
        ProviderFacts(provider="azure", litellm_prefix="azure", credential_env="AZURE_API_KEY",
                      credential="the Azure OpenAI resource's key", config_key="azureApiKey", regions=None,
                      pricing_page="https://azure.microsoft.com/en-us/pricing/details/cognitive-services/"
                                   "openai-service/"),
        ProviderFacts(provider="vertex", litellm_prefix="vertex_ai", credential_env="VERTEX_CREDENTIALS",
                      credential="a Google service-account key (JSON) with roles/aiplatform.user",
                      config_key="vertexCredentials", regions=None,
                      pricing_page="https://cloud.google.com/vertex-ai/generative-ai/pricing",
                      hosts=("{location}-aiplatform.googleapis.com", "oauth2.googleapis.com")),
    )
}


class ProviderModel(BaseModel, frozen=True):
    """A chat model of one provider, priced per token like a Bedrock model (catalog/hosted.py)."""

    name: str
    provider: Provider
    model_id: str
    """The provider's model ID; for Azure the base model a deployment runs (the deployment name is the spec's)."""
    usd_per_1m_input: float
    usd_per_1m_output: float
    kind: Literal["chat"] = "chat"

    @property
    def source(self) -> str:
        return f"{PROVIDER_FACTS[self.provider].pricing_page}, as of {PRICES_AS_OF}"

    def usd_for(self, input_tokens: float, output_tokens: float) -> float:
        return (input_tokens * self.usd_per_1m_input + output_tokens * self.usd_per_1m_output) / 1e6


def _models(provider: Provider, *rows: tuple[str, str, float, float]) -> dict[str, ProviderModel]:
    return {name: ProviderModel(name=name, provider=provider, model_id=model_id, usd_per_1m_input=usd_in,
                                usd_per_1m_output=usd_out) for name, model_id, usd_in, usd_out in rows}


PROVIDER_MODELS: dict[Provider, dict[str, ProviderModel]] = {
    "openai": _models("openai", ("gpt-4.1", "gpt-4.1", 2.00, 8.00), ("gpt-4.1-mini", "gpt-4.1-mini", 0.40, 1.60),
                      ("gpt-4o-mini", "gpt-4o-mini", 0.15, 0.60)),
    "anthropic": _models("anthropic", ("claude-sonnet-4", "claude-sonnet-4-20250514", 3.00, 15.00),
                         ("claude-3.5-haiku", "claude-3-5-haiku-20241022", 0.80, 4.00),
                         ("claude-haiku-4.5", "claude-haiku-4-5-20251001", 1.00, 5.00)),
    "azure": _models("azure", ("gpt-4.1", "gpt-4.1", 2.00, 8.00), ("gpt-4.1-mini", "gpt-4.1-mini", 0.40, 1.60),
                     ("gpt-4o-mini", "gpt-4o-mini", 0.165, 0.66)),
    "vertex": _models("vertex", ("gemini-2.5-flash", "gemini-2.5-flash", 0.30, 2.50),
                      ("gemini-2.5-pro", "gemini-2.5-pro", 1.25, 10.00),
                      ("gemini-2.0-flash", "gemini-2.0-flash", 0.10, 0.40)),
}


def provider_model(provider: Provider, name: str) -> ProviderModel:
    return lookup(PROVIDER_MODELS[provider], name, f"{provider} model")


def priced_model(hosting: str, name: str) -> HostedModel | ProviderModel:
    """The catalog entry pricing a hosted model: Bedrock's (catalog/hosted.py) or another provider's."""
    return HOSTED_MODELS[name] if hosting == "bedrock" else PROVIDER_MODELS[hosting][name]  # type: ignore[index]
