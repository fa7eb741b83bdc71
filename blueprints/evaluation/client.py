"""Chat completions against any OpenAI-compatible endpoint (the gateway, a model server, a hosted API)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx

from blueprints.errors import BlueprintError

RETRIES = 2
BACKOFF_S = 0.5
COST_HEADER = "x-litellm-response-cost"
"""LiteLLM's proxy reports each response's cost (USD) in this header (litellm/proxy/common_request_processing.py,
`get_custom_headers`, v1.81.16)."""


class EndpointUnreachable(BlueprintError):
    pass


class KeyRejected(BlueprintError):
    pass


class CaseFailed(Exception):
    """This request failed (after retries); the evaluation goes on and records the error."""


@dataclass(frozen=True)
class Prices:
    """USD per million tokens, used when the endpoint reports no cost."""

    input_per_mtok: float
    output_per_mtok: float


@dataclass(frozen=True)
class Completion:
    text: str
    latency_s: float
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None


class ChatClient:
    """`connections`: the most requests it will have in flight; each keeps its connection alive between requests.
    Left out, httpx's default pool keeps only 20 alive: more requests in flight than that made it close a connection
    after nearly every response and open a new one for the next request."""

    def __init__(self, base_url: str, api_key: str | None, timeout_s: float, prices: Prices | None = None,
                 connections: int | None = None):
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        pool = {"limits": httpx.Limits(max_connections=connections, max_keepalive_connections=connections)} \
            if connections else {}
        self._http = httpx.AsyncClient(headers=headers, timeout=timeout_s, **pool)
        self._prices = prices

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    def _unreachable(self, error: Exception) -> EndpointUnreachable:
        return EndpointUnreachable(f"--endpoint: cannot reach {self.base_url} ({type(error).__name__}: {error})")

    async def check(self) -> None:
        """Before anything is written: the endpoint answers and accepts the key (GET /models)."""
        try:
            response = await self._http.get(f"{self.base_url}/models")
        except httpx.TransportError as error:
            raise self._unreachable(error) from None
        if response.status_code in (401, 403):
            raise KeyRejected(f"--api-key-env: {self.base_url} rejected the key (HTTP {response.status_code}: "
                              f"{response.text[:200]})")

    def _cost(self, response: httpx.Response, usage: dict[str, Any]) -> float | None:
        reported = response.headers.get(COST_HEADER)
        if reported:
            try:
                return float(reported)
            except ValueError:
                pass
        if self._prices is None or not usage:
            return None
        return (usage.get("prompt_tokens", 0) * self._prices.input_per_mtok
                + usage.get("completion_tokens", 0) * self._prices.output_per_mtok) / 1e6

    async def complete(self, model: str, messages: list[dict[str, str]], max_tokens: int,
                       temperature: float) -> Completion:
        body = {"model": model, "messages": messages, "max_tokens": max_tokens, "temperature": temperature}
        failure = ""
        for attempt in range(RETRIES + 1):
            if attempt:
                await asyncio.sleep(BACKOFF_S * attempt)
            started = time.perf_counter()
            try:
                response = await self._http.post(f"{self.base_url}/chat/completions", json=body)
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                raise self._unreachable(error) from None
            except httpx.TransportError as error:
                failure = f"{type(error).__name__}: {error}"
                continue
            latency = time.perf_counter() - started
            if response.status_code in (401, 403):
                raise KeyRejected(f"--api-key-env: {self.base_url} rejected the key (HTTP {response.status_code})")
            if response.status_code == 404 and "model" in response.text.lower():
                raise BlueprintError(f"--model: {self.base_url} does not serve {model!r} ({response.text[:200]})")
            if response.status_code >= 500 or response.status_code == 429:
                failure = f"HTTP {response.status_code}: {response.text[:200]}"
                continue
            if response.status_code != 200:
                raise CaseFailed(f"HTTP {response.status_code}: {response.text[:200]}")
            try:
                payload = response.json()
                text = payload["choices"][0]["message"]["content"] or ""
            except (ValueError, KeyError, IndexError, TypeError):
                raise CaseFailed(f"not a chat completion: {response.text[:200]}") from None
            usage = payload.get("usage") or {}
            return Completion(text=text, latency_s=latency, prompt_tokens=usage.get("prompt_tokens"),
                              completion_tokens=usage.get("completion_tokens"), cost_usd=self._cost(response, usage))
        raise CaseFailed(f"failed after {RETRIES + 1} attempts: {failure}")
