"""Verify a deployed stack from the outside, through its gateway: the checks a person would do after `pulumi up`.

Stack outputs read (from `pulumi stack output --json`, or the same JSON saved to a file):
- `gateway_url`: the gateway's base URL (the global DNS name when the platform spans regions), or
  `regions.<region>.gateway_url` per region;
- `prometheus_url` (optional): Prometheus's base URL, e.g. through a port-forward, or the Amazon Managed
  Prometheus workspace URL (queried with SigV4); `--prometheus-url` wins.

Checks, in order: the gateway is alive (`/health/liveliness`); it refuses a request without a key (401, 403 or
400); `/v1/models` lists every model of the spec; `/health` reports no unhealthy model deployment; one streamed
chat completion arrives token by token and ends with `[DONE]`; a repeated identical request is served from the
response cache (LiteLLM marks cache hits with the `x-litellm-cache-key` response header) when the spec enables
the cache; Prometheus has loaded alerting rules and every rule evaluates without error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from blueprints.errors import BlueprintError
from blueprints.operations.metrics import prometheus_get
from blueprints.operations.report import Check, Status
from blueprints.spec import PlatformSpec

CACHE_HIT_HEADER = "x-litellm-cache-key"
REJECTED_WITHOUT_KEY = (400, 401, 403)
PROBE_PROMPT = "Reply with the single word: pong."


def read_outputs(stack: str, outputs_file: Path | None) -> dict[str, Any]:
    """The stack's outputs: from `--outputs FILE` when given, else from the Pulumi CLI."""
    if outputs_file is not None:
        try:
            return json.loads(outputs_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise BlueprintError(f"--outputs: cannot read {str(outputs_file)!r} ({error})") from None
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise BlueprintError(
            "--outputs: the pulumi CLI is not installed; save `pulumi stack output --json --show-secrets` "
            "to a file and pass it with --outputs FILE"
        )
    result = subprocess.run(
        [pulumi, "stack", "output", "--json", "--show-secrets", "--stack", stack],
        capture_output=True, text=True, check=False, timeout=120,
    )
    if result.returncode != 0:
        raise BlueprintError(f"--stack: `pulumi stack output` failed: {result.stderr.strip().splitlines()[-1:]}")
    return json.loads(result.stdout)


def gateway_url(outputs: dict[str, Any], region: str | None) -> str | None:
    if region is None and outputs.get("gateway_url"):
        return str(outputs["gateway_url"]).rstrip("/")
    regions = outputs.get("regions") or {}
    chosen = region or next(iter(regions), None)
    url = (regions.get(chosen) or {}).get("gateway_url") if chosen else None
    return str(url).rstrip("/") if url else None


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class Gateway:
    """A minimal OpenAI-API client over urllib, with a timeout on every call."""

    def __init__(self, base_url: str, api_key: str | None, timeout_s: float):
        self.base_url = base_url
        self.api_key = api_key
        self.timeout_s = timeout_s

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, key: bool = True) -> Reply:
        headers = {"Content-Type": "application/json"}
        if key and self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = json.dumps(body).encode() if body is not None else None
        request = Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            with urlopen(request, timeout=self.timeout_s) as response:
                return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
        except HTTPError as error:
            return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def chat(self, model: str, stream: bool) -> dict[str, Any]:
        return {"model": model, "messages": [{"role": "user", "content": PROBE_PROMPT}], "max_tokens": 16,
                "temperature": 0, "stream": stream}


def _stream_tokens(body: bytes) -> tuple[list[str], bool]:
    """Content pieces of an OpenAI SSE stream, and whether it ended with `[DONE]`."""
    tokens, done = [], False
    for line in body.decode(errors="replace").splitlines():
        if not line.startswith("data:"):
            continue
        payload = line.removeprefix("data:").strip()
        if payload == "[DONE]":
            done = True
            continue
        for choice in json.loads(payload).get("choices", []):
            if choice.get("delta", {}).get("content"):
                tokens.append(choice["delta"]["content"])
    return tokens, done


class Verifier:
    def __init__(self, spec: PlatformSpec, gateway: Gateway | None, where: str, prometheus_url: str | None,
                 model: str | None = None, expected_rules: tuple[str, ...] = ()):
        self.spec = spec
        self.gateway = gateway
        self.where = where
        self.prometheus_url = prometheus_url
        self.model = model or self._probe_model()
        self.expected_rules = expected_rules

    def _probe_model(self) -> str:
        models = self.spec.self_hosted_models or self.spec.serving.models
        return models[0].name if models else ""

    def _row(self, check: str, status: Status, detail: str) -> Check:
        return Check(check=check, region=self.where, status=status, detail=detail)

    def run(self) -> list[Check]:
        rows = []
        if self.gateway is None:
            rows.append(self._row("outputs", "fail", "no gateway_url in the stack outputs"))
        else:
            rows.append(self._row("outputs", "pass", f"gateway {self.gateway.base_url}"))
            checks = {"gateway-alive": self.liveness, "auth-required": self.auth, "models-listed": self.models_listed,
                      "models-healthy": self.model_health, "streamed-completion": self.streamed,
                      "cached-repeat": self.cached_repeat}
            for name, check in checks.items():
                try:
                    rows.append(check(self.gateway))
                except (URLError, OSError, ValueError) as error:
                    rows.append(self._row(name, "fail", f"request failed: {error}"))
        rows += list(self.alert_rules())
        return rows

    def liveness(self, gateway: Gateway) -> Check:
        reply = gateway.call("GET", "/health/liveliness", key=False)
        return self._row("gateway-alive", "pass" if reply.status == 200 else "fail", f"HTTP {reply.status}")

    def auth(self, gateway: Gateway) -> Check:
        reply = gateway.call("POST", "/v1/chat/completions", gateway.chat(self.model, stream=False), key=False)
        refused = reply.status in REJECTED_WITHOUT_KEY
        detail = f"no key: HTTP {reply.status}" + ("" if refused else " (expected 401, 403 or 400)")
        return self._row("auth-required", "pass" if refused else "fail", detail)

    def models_listed(self, gateway: Gateway) -> Check:
        reply = gateway.call("GET", "/v1/models")
        if reply.status != 200:
            return self._row("models-listed", "fail", f"HTTP {reply.status}")
        listed = {entry["id"] for entry in json.loads(reply.body).get("data", [])}
        missing = [model.name for model in self.spec.serving.models if model.name not in listed]
        detail = f"missing {', '.join(missing)}" if missing else f"{len(self.spec.serving.models)} models listed"
        return self._row("models-listed", "fail" if missing else "pass", detail)

    def model_health(self, gateway: Gateway) -> Check:
        reply = gateway.call("GET", "/health")
        if reply.status != 200:
            return self._row("models-healthy", "fail", f"HTTP {reply.status}")
        health = json.loads(reply.body)
        unhealthy = [str(entry.get("model")) for entry in health.get("unhealthy_endpoints", [])]
        healthy = len(health.get("healthy_endpoints", []))
        if unhealthy:
            return self._row("models-healthy", "fail", f"unhealthy: {', '.join(unhealthy)}")
        return self._row("models-healthy", "pass" if healthy else "fail", f"{healthy} healthy deployments")

    def streamed(self, gateway: Gateway) -> Check:
        reply = gateway.call("POST", "/v1/chat/completions", gateway.chat(self.model, stream=True))
        if reply.status != 200:
            return self._row("streamed-completion", "fail", f"{self.model}: HTTP {reply.status}")
        tokens, done = _stream_tokens(reply.body)
        ok = bool(tokens) and done
        detail = f"{self.model}: {len(tokens)} chunks" + ("" if done else ", stream did not end with [DONE]")
        return self._row("streamed-completion", "pass" if ok else "fail", detail)

    def cached_repeat(self, gateway: Gateway) -> Check:
        if not self.spec.cache.enabled:
            return self._row("cached-repeat", "skip", "response cache disabled in the spec")
        body = gateway.chat(self.model, stream=False)
        first = gateway.call("POST", "/v1/chat/completions", body)
        second = gateway.call("POST", "/v1/chat/completions", body)
        if (first.status, second.status) != (200, 200):
            return self._row("cached-repeat", "fail", f"HTTP {first.status}, then {second.status}")
        hit = CACHE_HIT_HEADER in second.headers
        return self._row("cached-repeat", "pass" if hit else "fail",
                         "repeat served from cache" if hit else f"repeat not served from cache (no {CACHE_HIT_HEADER})")

    def alert_rules(self) -> Iterator[Check]:
        if not self.prometheus_url:
            yield self._row("alert-rules", "skip", "no prometheus_url output and no --prometheus-url")
            return
        try:
            groups = prometheus_get(self.prometheus_url, "/api/v1/rules", {"type": "alert"})["groups"]
        except BlueprintError as error:
            yield self._row("alert-rules", "fail", str(error).removeprefix("--prometheus-url: "))
            return
        rules = [rule for group in groups for rule in group.get("rules", [])]
        broken = [f"{rule['name']} ({rule.get('lastError', rule.get('health'))})" for rule in rules
                  if rule.get("health", "ok") not in ("ok", "unknown")]
        missing = sorted(set(self.expected_rules) - {rule["name"] for rule in rules})
        if not rules or broken or missing:
            problems = ["no alerting rules loaded"] if not rules else []
            problems += [f"failing: {', '.join(broken)}"] if broken else []
            problems += [f"not loaded: {', '.join(missing)}"] if missing else []
            yield self._row("alert-rules", "fail", "; ".join(problems))
            return
        yield self._row("alert-rules", "pass", f"{len(rules)} alerting rules in {len(groups)} groups, all healthy")
