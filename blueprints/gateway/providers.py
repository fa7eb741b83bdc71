"""LiteLLM deployments of hosted providers other than Bedrock, and the credentials they read (pure: no pulumi).

Parameter names as LiteLLM 1.81.16 takes them in a deployment's `litellm_params` (litellm/types/router.py
GenericLiteLLMParams): `api_key`, `api_base`, `api_version`, `region_name`, `vertex_project`, `vertex_location`,
`vertex_credentials`; the proxy resolves every `os.environ/...` value among them (proxy_server.py, "Handle
os.environ/ variables in litellm_params"). Azure deployments name the Azure deployment after `azure/`, so
`model_info.base_model` tells LiteLLM which model's prices to count (router.py `_set_model_group_info`).
The key of each provider reaches the gateway from Secrets Manager (components/provider_keys.py).
"""

from __future__ import annotations

from typing import Any

from blueprints.catalog.providers import PROVIDER_FACTS, ProviderFacts, provider_model
from blueprints.spec import ModelSpec, PlatformSpec


def _env_ref(name: str) -> str:
    return f"os.environ/{name}"


def provider_params(model: ModelSpec) -> dict[str, Any]:
    """`litellm_params` (without limits and timeouts) of a model of provider `model.hosting`."""
    facts = PROVIDER_FACTS[model.hosting]  # type: ignore[index]
    entry, endpoint = provider_model(facts.provider, model.model), model.provider
    credential = _env_ref(facts.credential_env)
    if facts.provider == "azure":
        return {"model": f"azure/{endpoint.deployment or model.model}", "api_base": endpoint.api_base,
                "api_version": endpoint.api_version, "api_key": credential, "region_name": endpoint.location}
    if facts.provider == "vertex":
        return {"model": f"vertex_ai/{entry.model_id}", "vertex_project": endpoint.project,
                "vertex_location": endpoint.location, "vertex_credentials": credential,
                **({"api_base": endpoint.api_base} if endpoint.api_base else {})}
    return {"model": f"{facts.litellm_prefix}/{entry.model_id}", "api_key": credential,
            **({"api_base": endpoint.api_base} if endpoint.api_base else {})}


def provider_info(model: ModelSpec) -> dict[str, Any]:
    """`model_info` additions: the priced base model of an Azure deployment."""
    if model.hosting != "azure":
        return {}
    return {"base_model": f"azure/{provider_model('azure', model.model).model_id}"}


def provider_credentials(spec: PlatformSpec) -> dict[str, ProviderFacts]:
    """Environment variable -> provider, for every provider the gateway calls (in spec order)."""
    facts = [PROVIDER_FACTS[model.hosting] for model in spec.provider_models]  # type: ignore[index]
    return {fact.credential_env: fact for fact in facts}
