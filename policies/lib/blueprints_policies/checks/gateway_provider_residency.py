"""Prompts reach hosted model providers only in regions on the residency allowlist.

Where a gateway deployment sends prompts, read from its `litellm_params` as LiteLLM 1.81.16 routes them (the
provider is the `model` prefix, litellm/types/utils.py LlmProviders): `bedrock/` to `aws_region_name` (an AWS
region, listed as such); `vertex_ai/` to `vertex_location` and `azure/` to `region_name` (the Azure region of the
resource), listed as `vertex:<location>` / `azure:<region>`; any other provider (`anthropic/`, `openai/` at a public
address, ...) to its global API, listed as `<provider>:global`. An OpenAI-compatible `api_base` inside the platform
(a cluster Service, a private address) is a self-hosted model and sends nothing out.
"""

import ipaddress
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from ..litellm import load
from ..model import StackContext
from ..props import items

PROVIDER_NAMES = {"vertex_ai": "vertex"}
"""LiteLLM provider -> the name residency allowlists use (the spec's hosting kind)."""
REGION_PARAM = {"vertex_ai": "vertex_location", "azure": "region_name"}
IN_PLATFORM_SUFFIXES = (".svc", ".svc.cluster.local", ".cluster.local", ".internal")
ROUTERS = {"auto_router"}
"""Model groups that forward to other groups of the same config (checked there)."""


def _in_platform(api_base: str) -> bool:
    host = urlsplit(api_base).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host or host.endswith(IN_PLATFORM_SUFFIXES)
    return address.is_private or address.is_loopback


def destination(params: Mapping[str, Any]) -> str | None:
    """Where the deployment sends prompts, as the allowlist names it; None for routers and in-platform servers."""
    provider, _, _ = str(params.get("model", "")).partition("/")
    if provider in ROUTERS:
        return None
    if provider == "bedrock":
        return str(params.get("aws_region_name") or "bedrock:<no aws_region_name>")
    api_base = params.get("api_base")
    if provider in ("openai", "hosted_vllm", "custom_openai") and api_base and _in_platform(str(api_base)):
        return None
    name = PROVIDER_NAMES.get(provider, provider)
    if provider in REGION_PARAM:
        return f"{name}:{params.get(REGION_PARAM[provider]) or '<no ' + REGION_PARAM[provider] + '>'}"
    return f"{name}:global"


def check(type_: str, props: Mapping[str, Any], ctx: StackContext) -> Iterator[str]:
    if ctx.residency is None:
        return
    config = load(props)
    if config is None:
        return
    for entry in items(config.get("model_list")):
        if not isinstance(entry, Mapping):
            continue
        where = destination(entry.get("litellm_params") or {})
        if where is not None and not any(fnmatchcase(where, allowed) for allowed in ctx.residency):
            yield (f"config.yaml model_list {entry.get('model_name')!r} sends prompts to {where!r}, outside the "
                   f"residency allowlist {list(ctx.residency)} (allowed: providers listed as <provider>:<region>)")
