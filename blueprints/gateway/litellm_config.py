"""The LiteLLM proxy config, generated from the spec (pure: spec in, dict out).

Only keys the pinned LiteLLM release (blueprints.versions IMAGES["litellm"]) accepts are written; tests check
every key against the installed release. Secrets never appear: the master key, database URL and Redis
credentials are `os.environ/...` references filled from Secrets Manager through External Secrets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import yaml

from blueprints.capacity import size_model
from blueprints.catalog.hosted import HOSTED_MODELS
from blueprints.catalog.models import MODELS
from blueprints.catalog.providers import priced_model
from blueprints.evaluation import version_model
from blueprints.experiments.gateway import litellm_ab_settings
from blueprints.feedback.gateway import litellm_quality_settings
from blueprints.gateway.audit import audit_logging_settings
from blueprints.gateway.bedrock import litellm_model
from blueprints.gateway.data_plane import litellm_sizing
from blueprints.gateway.guardrails import content_guardrails, response_guardrails
from blueprints.gateway.providers import provider_info, provider_params
from blueprints.observability.monitors import NAMESPACE as MONITORING_NAMESPACE
from blueprints.observability.tracing import OTLP_HTTP_PORT
from blueprints.prompts.gateway import litellm_prompt_settings
from blueprints.rollout import primary_version, version_plans, versions_of
from blueprints.serving.manifests import service_url, version_name
from blueprints.spec import ModelSpec, PlatformSpec

MASTER_KEY_ENV = "LITELLM_MASTER_KEY"
DATABASE_URL_ENV = "DATABASE_URL"
REDIS_ENV = {"host": "REDIS_HOST", "port": "REDIS_PORT", "password": "REDIS_PASSWORD"}
"""Redis connection from the environment; `REDIS_SSL=True` (TLS to Valkey) is read by LiteLLM directly."""
HOOKS_MODULE = "litellm_hooks"
"""File name (without .py) of blueprints/gateway/litellm_hooks.py next to config.yaml."""
MASTER_KEY_AUTH_MODULE = "master_key_auth"
"""File name (without .py) of blueprints/gateway/master_key_auth.py next to config.yaml: the `custom_auth` hook that
reads the current master key from its mounted file on each request (rotation without a restart)."""
MAX_TOKENS_CALLBACK = f"{HOOKS_MODULE}.max_tokens_ceiling"
STREAM_FAILURES_CALLBACK = f"{HOOKS_MODULE}.stream_failures"
INERT_CALLBACKS_CALLBACK = f"{HOOKS_MODULE}.inert_callbacks"
CEILING_ENV = "BLUEPRINTS_MAX_TOKENS"
"""Read by litellm_hooks.py (which runs in the LiteLLM image and cannot import this package)."""
PII_GUARDRAIL = "pii-masking"
SEMANTIC_EMBEDDING_ALIAS = "semantic-cache-embedding"
SELF_HOSTED_API_KEY = "unused"
"""trtllm-serve takes no API key (the NetworkPolicy guards it), but the OpenAI client needs a non-empty one."""
CACHED_CALL_TYPES = ["acompletion", "atext_completion", "completion", "text_completion"]
RATE_LIMIT_CHECK = "enforce_model_rate_limits"
"""Router pre-call check refusing (429) requests over a deployment's rpm/tpm; its counters live in Redis when
the router has one, so the limit holds across workers and replicas."""
TIMEOUT_FACTOR = 2.0
"""A deployment's timeouts are this x the longest its model's SLO allows (p95): past that it is failing, not slow."""
DIRECT_SUFFIX = "-direct"
"""Model group of a fallback target reached on its own Services, when its usual address is the failed one's."""

# Failure behaviour, as LiteLLM 1.81.16 implements it (litellm/router.py, router_utils/cooldown_handlers.py):
# - Retries (Router.async_function_with_retries) re-pick within the model group; with one deployment they hit the
#   same one after an exponential backoff (Router._time_to_sleep_before_retry -> utils._calculate_retry_after:
#   0.5 s, 1 s, ... + jitter), so a dead single deployment cost ~5 s per request before its fallback. A deployment's
#   own `num_retries` wins (Router._set_deployment_num_retries_on_exception): 0 where a fallback exists.
# - Cooldown (_should_cooldown_deployment): with no `allowed_fails_policy` and `allowed_fails` equal to
#   litellm.allowed_fails (3), it uses a failure-percentage rule that never cools down a single-deployment group
#   below SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD (1000) requests a minute. Any `allowed_fails_policy` selects
#   the count rule (should_cooldown_based_on_allowed_fails_policy): cool down on failure allowed_fails + 1 within
#   cooldown_time, counted per worker, the cooldown itself shared through Redis. Connection errors never cool down
#   (_is_cooldown_required ignores "APIConnectionError"): a refused connection fails over at once instead.
# - Timeouts are httpx timeouts (connect and each read), so `stream_timeout` bounds the wait for the first token
#   and between tokens, while `timeout` must cover a whole non-streamed answer.
# - Streams: LiteLLM's aiohttp transport ends a cut stream as if complete (aiohttp_transport.AiohttpResponseStream
#   swallows ClientPayloadError / TransferEncodingError: finish_reason "stop" and [DONE] on a partial answer);
#   httpx raises instead, and the proxy then ends the stream with an SSE error event and no [DONE]
#   (proxy_server.async_data_generator). Hence `disable_aiohttp_transport`; litellm_hooks.py keeps the router from
#   splicing another model's continuation onto the partial answer and cools down deployments whose streams fail.


def env_ref(name: str) -> str:
    return f"os.environ/{name}"


def needs_shared_state(spec: PlatformSpec) -> bool:
    """More than one LiteLLM process (workers x replicas) must share limits, cooldowns and the cache. On runtime
    `fargate` there is no Valkey: each task keeps its own (the gateway_fargate component runs one worker per task)."""
    return spec.runtime == "eks" and (spec.gateway.cpu > 1 or litellm_sizing(spec).max_replicas > 1)


def needs_redis(spec: PlatformSpec) -> bool:
    return spec.cache.enabled or needs_shared_state(spec)


def _size_key(model: ModelSpec) -> tuple[int, float]:
    """Self-hosted before hosted (already paid for, prompts stay in the account); then parameters or price."""
    if model.hosting == "self-hosted":
        return (0, MODELS[model.model].params_b)
    return (1, priced_model(model.hosting, model.model).usd_per_1m_output)


def tier_models(spec: PlatformSpec) -> tuple[str, str]:
    """(small, large) model names of tiered routing: the spec's choice, else the smallest and largest chat model."""
    ordered = sorted(spec.chat_models, key=_size_key)
    tiers = spec.gateway.tiers
    return tiers.small or ordered[0].name, tiers.large or ordered[-1].name


def traffic_limits(spec: PlatformSpec, models: list[ModelSpec]) -> dict[str, int]:
    """Headroom x the planned peak traffic of `models` together."""
    headroom = spec.gateway.limit_headroom
    return {key: math.ceil(sum(model.traffic.per_minute[key] for model in models) * headroom)
            for key in ("rpm", "tpm")}


def model_limits(spec: PlatformSpec, model: ModelSpec, fallback_from: list[ModelSpec] | None = None) -> dict[str, int]:
    """rpm/tpm of one model: the spec's values, else headroom x the planned peak traffic of the model and of the
    models that fall back to it (`fallback_from`, default: all of them), so their outage is not turned into 429s."""
    configured = spec.gateway.model_limits.get(model.name)
    sources = spec.fallback_sources(model.name) if fallback_from is None else fallback_from
    computed = traffic_limits(spec, [model, *sources])
    return {
        "rpm": configured.rpm if configured and configured.rpm else computed["rpm"],
        "tpm": configured.tpm if configured and configured.tpm else computed["tpm"],
    }


def deployment_timeouts(spec: PlatformSpec, model: ModelSpec) -> dict[str, float]:
    """`timeout` (whole non-streamed answer) and `stream_timeout` (first token, and each next one) of a model's
    deployments, from its SLO: TIMEOUT_FACTOR x the longest answer / first token its p95 targets allow, capped by
    gateway.request_timeout_s; `gateway.stream_timeout_s` overrides the streaming one."""
    gateway, slo = spec.gateway, model.slo
    answer_s = TIMEOUT_FACTOR * (slo.ttft_p95_ms + gateway.max_tokens * slo.tpot_p95_ms) / 1000
    first_token_s = gateway.stream_timeout_s or TIMEOUT_FACTOR * slo.ttft_p95_ms / 1000
    return {"timeout": round(min(answer_s, gateway.request_timeout_s), 3),
            "stream_timeout": round(min(first_token_s, gateway.request_timeout_s), 3)}


def _has_fallback(spec: PlatformSpec, model: ModelSpec, served: set[str]) -> bool:
    return any(target in served for target in spec.gateway.fallbacks.get(model.name, []))


def _total(limits: list[dict[str, int]]) -> dict[str, int]:
    return {key: sum(limit[key] for limit in limits) for key in ("rpm", "tpm")}


def _embedding_limits(spec: PlatformSpec) -> dict[str, int]:
    """Every cache lookup embeds the prompt once: headroom x all chat models' requests and input tokens."""
    headroom, chat = spec.gateway.limit_headroom, spec.chat_models
    return {"rpm": math.ceil(sum(m.traffic.requests_per_second for m in chat) * 60 * headroom),
            "tpm": math.ceil(sum(m.traffic.requests_per_second * m.traffic.input_tokens for m in chat) * 60 * headroom)}


def self_hosted_price(spec: PlatformSpec, model: ModelSpec) -> dict[str, float]:
    """LiteLLM's custom pricing of a self-hosted deployment: the planner's GPU cost per output token (prompt
    processing is in it), so keys' and teams' spend and budgets count self-hosted answers too."""
    return {"input_cost_per_token": 0.0,
            "output_cost_per_token": size_model(spec, model).usd_per_1m_output_tokens / 1_000_000}


def _model_entries(spec: PlatformSpec, model: ModelSpec, region: str, endpoints: Mapping[str, str], *,
                   limits: dict[str, int], has_fallback: bool) -> list[dict[str, Any]]:
    """One deployment per model version that receives traffic, weighted as the rollout says (canary, blue-green),
    each carrying its pinned prompt; a model whose address is given in `endpoints` is one deployment there.
    A single deployment with a fallback is not retried: it fails over at once."""
    prompts = litellm_prompt_settings(spec).get("model_info", {}).get(model.name, {})
    failure = deployment_timeouts(spec, model)
    if model.hosting != "self-hosted":
        bedrock = model.hosting == "bedrock"
        params = ({"model": litellm_model(HOSTED_MODELS[model.model], region), "aws_region_name": region}
                  if bedrock else provider_params(model))
        failure["num_retries"] = 0 if has_fallback else spec.gateway.num_retries
        return [{"model_name": model.name, "litellm_params": {**params, **limits, **failure},
                 "model_info": {"hosting": model.hosting, **({} if bedrock else provider_info(model)),
                                **prompts.get(model.model, {})}}]
    if model.name in endpoints:
        routes = [(primary_version(model), endpoints[model.name], 100)]
    else:
        routes = [(plan.version, service_url(spec, version_name(model, plan.version)), plan.weight)
                  for plan in version_plans(spec, model) if plan.weight > 0]
    failure["num_retries"] = 0 if has_fallback and len(routes) == 1 else spec.gateway.num_retries
    price = self_hosted_price(spec, model)
    return [{
        "model_name": model.name,
        "litellm_params": {"model": f"openai/{model.name}", "api_base": url, "api_key": SELF_HOSTED_API_KEY,
                           **({"weight": weight} if len(routes) > 1 else {}), **limits, **failure, **price},
        "model_info": {"hosting": model.hosting, "version": version, **prompts.get(version, {})},
    } for version, url, weight in routes]


def _version_entries(spec: PlatformSpec, models: list[ModelSpec],
                     endpoints: Mapping[str, str]) -> list[dict[str, Any]]:
    """While a model has a candidate, each of its running versions is also its own model group,
    `<model>@<version>` with its pinned prompt, whatever its traffic weight: the evaluation gate (`eval gate`)
    scores stable and candidate through the gateway with them. Not retried: a failure belongs to that version.
    Limited like the model's own deployments: the same servers answer."""
    entries = []
    for model in models:
        if model.hosting != "self-hosted" or not versions_of(model).candidate:
            continue
        prompts = litellm_prompt_settings(spec).get("model_info", {}).get(model.name, {})
        for plan in version_plans(spec, model):
            url = endpoints.get(model.name) or service_url(spec, version_name(model, plan.version))
            entries.append({
                "model_name": version_model(model.name, plan.version),
                "litellm_params": {"model": f"openai/{model.name}", "api_base": url, "api_key": SELF_HOSTED_API_KEY,
                                   **model_limits(spec, model), **deployment_timeouts(spec, model), "num_retries": 0,
                                   **self_hosted_price(spec, model)},
                "model_info": {"hosting": model.hosting, "version": plan.version, **prompts.get(plan.version, {})},
            })
    return entries


def address(entry: Mapping[str, Any]) -> str:
    """Where a deployment's requests go: host:port of its api_base, else its provider model in its region."""
    params = entry["litellm_params"]
    if params.get("api_base"):
        return urlsplit(params["api_base"]).netloc
    return f"{params['model']}@{params.get('aws_region_name', '')}"


def _served_entries(spec: PlatformSpec, models: list[ModelSpec], region: str,
                    endpoints: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, str | list[str]]]]:
    """Model deployments and the router's fallbacks. A fallback target reached at an address its source also
    uses (both behind the inference gateway) is given a second model group on its own Services, so that the
    fallback does not share the path that failed; each group's limits cover the traffic it may receive."""
    served = {model.name for model in models}
    by_name = {model.name: model for model in models}
    fallbacks = {name: [t for t in targets if t in served] for name, targets in spec.gateway.fallbacks.items()
                 if name in served}
    fallbacks = {name: targets for name, targets in fallbacks.items() if targets}
    entries = {model.name: _model_entries(spec, model, region, endpoints, limits=model_limits(spec, model),
                                          has_fallback=model.name in fallbacks) for model in models}
    direct: dict[str, list[ModelSpec]] = {}
    for name, targets in fallbacks.items():
        failed = {address(entry) for entry in entries[name]}
        for index, target in enumerate(targets):
            if failed & {address(entry) for entry in entries[target]}:
                direct.setdefault(target, []).append(by_name[name])
                targets[index] = f"{target}{DIRECT_SUFFIX}"
    for target, sources in direct.items():
        model = by_name[target]
        entries[target] = _model_entries(spec, model, region, endpoints, has_fallback=target in fallbacks,
                                         limits=model_limits(spec, model, [m for m in spec.fallback_sources(target)
                                                                           if m not in sources]))
        alternate = _model_entries(spec, model, region, {}, has_fallback=False,
                                   limits=traffic_limits(spec, sources))
        entries[f"{target}{DIRECT_SUFFIX}"] = [{**entry, "model_name": f"{target}{DIRECT_SUFFIX}"}
                                               for entry in alternate]
    return ([entry for group in entries.values() for entry in group],
            [{name: targets} for name, targets in fallbacks.items()])


def _tier_entry(spec: PlatformSpec) -> dict[str, Any]:
    small, large = tier_models(spec)
    return {
        "model_name": spec.gateway.tiers.model_name,
        "litellm_params": {
            "model": "auto_router/complexity_router",
            "complexity_router_config": {"tiers": {"SIMPLE": small, "MEDIUM": small, "COMPLEX": large,
                                                   "REASONING": large}},
            "complexity_router_default_model": small,
            # The router forwards to the two tiers, each with its own limits: together, at most their sum.
            **_total([model_limits(spec, model) for model in spec.chat_models if model.name in (small, large)]),
        },
        "model_info": {"hosting": "router"},
    }


def _embedding_entry(spec: PlatformSpec, region: str) -> dict[str, Any]:
    model = HOSTED_MODELS[spec.cache.semantic_embedding_model]
    return {"model_name": SEMANTIC_EMBEDDING_ALIAS,
            "litellm_params": {"model": litellm_model(model, region), "aws_region_name": region,
                               **_embedding_limits(spec)},
            "model_info": {"hosting": "bedrock"}}


def _redis_refs() -> dict[str, str]:
    return {key: env_ref(name) for key, name in REDIS_ENV.items()}


def _cache_params(spec: PlatformSpec) -> dict[str, Any]:
    params: dict[str, Any] = {
        "type": "redis-semantic" if spec.cache.semantic else "redis",
        **_redis_refs(),
        "ttl": spec.cache.ttl_seconds,
        "namespace": f"{spec.name}-{spec.environment}",
        "supported_call_types": CACHED_CALL_TYPES,
    }
    if spec.cache.semantic:
        params["similarity_threshold"] = spec.cache.semantic_similarity_threshold
        params["redis_semantic_cache_embedding_model"] = SEMANTIC_EMBEDDING_ALIAS
    return params


def _guardrails(spec: PlatformSpec) -> list[dict[str, Any]]:
    """Prompts masked by LiteLLM's content filter (pre_call); answers (regulated) by the gateway's own guardrails
    (gateway/guardrails.py): in post_call the content filter holds the last 50 characters of every stream back
    (LiteLLM 1.81.16 content_filter.py, async_post_call_streaming_iterator_hook, `buffer_size = 50`)."""
    patterns = [{"pattern_type": "prebuilt", "pattern_name": name, "action": "MASK"}
                for name in spec.gateway.pii_patterns]
    return [{
        "guardrail_name": PII_GUARDRAIL,
        "litellm_params": {"guardrail": "litellm_content_filter", "mode": "pre_call",
                           "default_on": True, "patterns": patterns},
    }, *response_guardrails(spec)]


def litellm_config(spec: PlatformSpec, region: str, endpoints: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The proxy config of the gateway in `region`. `endpoints`: self-hosted model name -> an OpenAI base URL that
    replaces the model's per-version Services (inference routing, local tests); hosted models are omitted entirely
    when the compliance level forbids them."""
    gateway = spec.gateway
    endpoints = endpoints or {}
    hosted_allowed = spec.compliance.allow_hosted_models
    models = [model for model in spec.serving.models if model.hosting == "self-hosted" or hosted_allowed]
    model_list, fallbacks = _served_entries(spec, models, region, endpoints)
    model_list += _version_entries(spec, models, endpoints)
    if gateway.tiered_routing:
        model_list.append(_tier_entry(spec))
    if spec.cache.enabled and spec.cache.semantic and hosted_allowed:
        model_list.append(_embedding_entry(spec, region))

    router: dict[str, Any] = {
        "routing_strategy": "simple-shuffle",
        "optional_pre_call_checks": [RATE_LIMIT_CHECK],
        # Defaults for entries without their own (tier router, embeddings); model deployments carry theirs.
        "num_retries": gateway.num_retries,
        "timeout": gateway.request_timeout_s,
        "stream_timeout": max(deployment_timeouts(spec, model)["stream_timeout"] for model in models),
        "allowed_fails": gateway.allowed_fails,
        # Any policy selects the count rule (see the top of this file); Timeout is the one LiteLLM looks up that
        # a failing model server raises (Router.get_allowed_fails_from_policy).
        "allowed_fails_policy": {"TimeoutErrorAllowedFails": gateway.allowed_fails},
        "cooldown_time": gateway.cooldown_seconds,
        "enable_pre_call_checks": True,
        "fallbacks": fallbacks,
    }
    if needs_shared_state(spec):
        router.update({f"redis_{key}": value for key, value in _redis_refs().items()})

    settings: dict[str, Any] = {
        "callbacks": ["prometheus", MAX_TOKENS_CALLBACK, STREAM_FAILURES_CALLBACK],
        "drop_params": True,
        "disable_aiohttp_transport": True,  # a cut stream must raise, not end as if complete (see top of file)
        "json_logs": True,
        "default_key_generate_params": {"rpm_limit": gateway.rpm_per_key, "tpm_limit": gateway.tpm_per_key},
        "upperbound_key_generate_params": {"rpm_limit": gateway.rpm_per_key, "tpm_limit": gateway.tpm_per_key},
    }
    # Request audit records (who, which model, tokens, cost; prompts only where allowed) to the audit bucket.
    # On runtime `fargate` there is no audit bucket: the task's JSON logs (CloudWatch) are the request record.
    audit = audit_logging_settings(spec) if spec.runtime == "eks" else {"callbacks": []}
    settings["callbacks"] = [*settings["callbacks"], *audit.pop("callbacks"),
                             *litellm_prompt_settings(spec).get("callbacks", []),
                             *litellm_ab_settings(spec).get("callbacks", []),
                             *litellm_quality_settings(spec)["callbacks"]]
    settings.update(audit)
    if spec.gateway_database:
        # Every team's and key's budget gauges from the database every 5 minutes, not only after its requests
        # (PrometheusLogger.initialize_budget_metrics_cron_job in LiteLLM 1.81.16): the budget alerts see resets.
        settings["prometheus_initialize_budget_metrics"] = True
    if spec.observability.tracing:
        # One OTLP span per request (model, tokens, latency, status) to the platform's collector, which drops
        # prompt and completion text unless audit.log_prompts. A `callbacks` entry: one async logger for success
        # and failure; `success_callback` entries also run on a thread pool per request (Logging.
        # handle_sync_success_callbacks_for_async_calls in LiteLLM 1.81.16).
        settings["callbacks"].append("otel")
    if spec.cache.enabled:
        settings["callbacks"].append(INERT_CALLBACKS_CALLBACK)  # the cache's idle sync callback (litellm_hooks.py)
        settings["cache"] = True
        settings["cache_params"] = _cache_params(spec)

    config: dict[str, Any] = {
        "model_list": model_list,
        "router_settings": router,
        "litellm_settings": settings,
        "general_settings": {"master_key": env_ref(MASTER_KEY_ENV), "database_url": env_ref(DATABASE_URL_ENV),
                             # `auto`: the hook's answer for the master key, LiteLLM's own checks for every other
                             # key (litellm_enterprise/proxy/auth/user_api_key_auth.py at v1.81.16).
                             "custom_auth": f"{MASTER_KEY_AUTH_MODULE}.user_api_key_auth",
                             "custom_auth_settings": {"mode": "auto"}},
    }
    guardrails = [*(_guardrails(spec) if gateway.pii_masking else []), *content_guardrails(spec)]
    if guardrails:
        config["guardrails"] = guardrails
    return config


OTEL_COLLECTOR = f"http://opentelemetry-collector.{MONITORING_NAMESPACE}.svc.cluster.local:{OTLP_HTTP_PORT}"
"""The observability component's collector (release `opentelemetry-collector` in the monitoring namespace)."""


LOG_LEVEL = "WARNING"
"""Also the level of uvicorn's access log (json_logs: litellm._logging._get_uvicorn_json_log_config). INFO writes
three JSON lines per request (access, routing decision, "200 OK"), formatted on the request path; who called what
is in the audit sink and the traces instead."""


def proxy_environment(spec: PlatformSpec) -> dict[str, str]:
    """Plain (non-secret) environment the proxy needs besides the secrets the config references."""
    # On Fargate the task's log lines are the request record (no audit bucket there): one per request stays.
    level = "INFO" if spec.runtime == "fargate" else LOG_LEVEL
    env = {CEILING_ENV: str(spec.gateway.max_tokens), "LITELLM_LOG": level, "LITELLM_MODE": "PRODUCTION"}
    if spec.observability.tracing:
        env |= {"OTEL_EXPORTER": "otlp_http", "OTEL_ENDPOINT": OTEL_COLLECTOR,
                "OTEL_SERVICE_NAME": "llm-gateway"}
    return env


def render_config(config: Mapping[str, Any]) -> str:
    """config.yaml as written to the ConfigMap."""
    return yaml.safe_dump(dict(config), sort_keys=False, default_flow_style=False, width=120)
