"""The Envoy data plane (`gateway.data_plane`): Envoy AI Gateway routes model requests and Envoy Gateway enforces
per-key rate limits, with LiteLLM kept on the policy path.

Client -> ALB (MODEL_PATHS; every other path stays on LiteLLM) -> inference Gateway (Envoy) -> SecurityPolicy
extAuth: LiteLLM `POST /key/health` with the caller's Authorization header (LiteLLM's user_api_key_auth: the key
exists, is not blocked or expired) -> EnvoyExtensionPolicy: a Lua filter (key_id.lua) sets `x-blueprints-key-id`
to the first 128 bits of SHA-256 of the key -> AIGatewayRoute: the `x-ai-eg-model` header (set by Envoy AI
Gateway's external processor from the request body's `model`) picks the model's rule -> BackendTrafficPolicy: global
rate limit per distinct `x-blueprints-key-id` (Envoy Gateway's rate-limit service on the gateway's Valkey, which
names its counters after that value: key ids there, never keys) -> the model's InferencePool. Models that need what only
LiteLLM does (hosted providers, fallbacks, A/B experiments, the tier router's name, models a budgeted team may call,
and every model when the platform has guardrails, PII masking or a response cache) go to LiteLLM, which also keeps
budgets and spend: those are counted on its path only. Which plane carries the requests, which models Envoy routes
itself (`litellm_reason`) and what LiteLLM is sized for are decided in data_plane.py; this module emits the objects.

Shapes from the pinned CRDs (.vendor/crds: envoy-ai-gateway v1.1.0, envoy-gateway v1.9.0); policies attach to the
HTTPRoute Envoy AI Gateway generates under the AIGatewayRoute's name, as in its docs' SecurityPolicy example
(envoyproxy/ai-gateway site/docs, `targetRefs: [{kind: HTTPRoute, name: envoy-ai-gateway-basic}]`).

Filter order (envoyproxy/gateway v1.9.0 internal/xds/translator/httpfilters.go newOrderedHTTPFilter): ext_authz 6,
Lua 13 + index, ext_proc 100 + index, ratelimit 303; Envoy AI Gateway v1.1.0 puts its external processor first among
the ext_proc filters (internal/extensionserver/post_translate_modify.go insertAIGatewayExtProcFilter). So the key is
checked, then hashed, then the model picks the rule, then the rate limit reads the hashed header.

Why not per rule. Envoy Gateway v1.9.0 can target one HTTPRoute rule (`sectionName`, the rule's name, which Envoy AI
Gateway v1.1.0 copies from the AIGatewayRoute, internal/controller/ai_gateway_route.go newHTTPRoute), but ext_authz
and Lua run before the external processor sets `x-ai-eg-model`: they see the route the client's own headers pick
(`route-not-found` without that header, any rule with a forged one). Attached to the Envoy-carried rules only, the key
check would be skipped for every request, or for any client that names a LiteLLM model in the header and a pooled
model in the body. So the key check and the key id cover the whole route, and requests LiteLLM carries pay the
check twice (about 2 ms of LiteLLM CPU each, README, `python -m bench envoy_key_check`); the rate limit stays
route-wide too, so a key has one budget across both paths.

Nothing upstream at v1.9.0 does the hashing: rate-limit client selectors match headers, methods, path, query
parameters and source CIDRs by value (api/v1alpha1/ratelimit_types.go), and an extAuth `headersToBackend` header
would need LiteLLM's `/key/health` to answer with one, which it doesn't.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from blueprints.gateway.data_plane import KEY_CHECK_PATH, litellm_reason
from blueprints.gateway.manifests import MONITORING_NAMESPACE, PART_OF, PORT, REDIS_PASSWORD_KEY
from blueprints.gateway.manifests import NAME as LITELLM_NAME
from blueprints.gateway.manifests import NAMESPACE as GATEWAY_NAMESPACE
from blueprints.serving.manifests import NAMESPACE as MODELS_NAMESPACE
from blueprints.spec import PlatformSpec

ENVOY_GATEWAY_NAMESPACE = "envoy-gateway-system"
"""Envoy Gateway's controller and its rate-limit service."""
SERVICE_NAME = "inference-gateway"
"""Fixed name of Envoy's Service (EnvoyProxy `envoyService.name`): LiteLLM and the ALB address it."""
LISTENER_PORT = 80
CONTAINER_PORT = LISTENER_PORT + 10000
"""Envoy's pods listen on the Gateway listener's port + 10000 for ports below 1024 (envoyproxy/gateway v1.9.0
internal/gatewayapi/listener.go servicePortToContainerPort, translator.go wellKnownPortShift): the ALB's targets are
pod IPs, so its target group uses this port."""
READY_PORT, READY_PATH = 19003, "/ready"
"""Envoy's readiness listener (envoyproxy/gateway v1.9.0 internal/xds/bootstrap/bootstrap.go EnvoyReadinessPort and
EnvoyReadinessPath): the ALB's health check of the Envoy targets."""
RATE_LIMIT_REDIS_SECRET = "ratelimit-redis-auth"
"""Kubernetes Secret in Envoy Gateway's namespace holding the Valkey AUTH token for its rate-limit service."""
REDIS_AUTH_ENV = "REDIS_AUTH"
"""envoyproxy/ratelimit's Redis password variable (src/settings/settings.go: `RedisAuth string
envconfig:"REDIS_AUTH"`); Envoy Gateway sets REDIS_URL and REDIS_TLS itself and merges the deployment's extra env
(v1.9.0 internal/infrastructure/kubernetes/ratelimit/resource.go expectedRateLimitContainerEnv)."""
ROUTE_NAME = "llm"
MODEL_HEADER = "x-ai-eg-model"
"""Header Envoy AI Gateway's external processor sets from the body's `model` (AIGatewayRoute matches on it)."""
KEY_HEADER = "authorization"
KEY_ID_HEADER = "x-blueprints-key-id"
"""What the rate limit counts by: set by KEY_ID_SCRIPT from KEY_HEADER, which never reaches the rate-limit service."""
KEY_ID_SCRIPT = Path(__file__).with_name("key_id.lua")



def _labels(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "envoy-data-plane", "app.kubernetes.io/part-of": PART_OF,
            "app.kubernetes.io/component": component}


def _meta(name: str, component: str) -> dict[str, Any]:
    return {"name": name, "namespace": MODELS_NAMESPACE, "labels": _labels(component)}


def _route_target() -> list[dict[str, str]]:
    return [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": ROUTE_NAME}]


def litellm_backend() -> list[dict[str, Any]]:
    """LiteLLM as an Envoy Gateway Backend (the key check's target) and an AIServiceBackend (the policy path)."""
    return [
        {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "Backend", "metadata": _meta(LITELLM_NAME, "backend"),
         "spec": {"endpoints": [{"fqdn": {"hostname": f"{LITELLM_NAME}.{GATEWAY_NAMESPACE}.svc.cluster.local",
                                          "port": PORT}}]}},
        {"apiVersion": "aigateway.envoyproxy.io/v1alpha1", "kind": "AIServiceBackend",
         "metadata": _meta(LITELLM_NAME, "backend"),
         "spec": {"schema": {"name": "OpenAI"},
                  "backendRef": {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": LITELLM_NAME}}},
    ]


def ai_gateway_route(spec: PlatformSpec, routed: set[str], gateway_name: str) -> dict[str, Any]:
    """One rule per model: its InferencePool, or LiteLLM (litellm_reason)."""
    def rule(name: str, backend: dict[str, str]) -> dict[str, Any]:
        return {"name": name, "matches": [{"headers": [{"type": "Exact", "name": MODEL_HEADER, "value": name}]}],
                "backendRefs": [backend], "timeouts": {"request": f"{math.ceil(spec.gateway.request_timeout_s)}s"}}

    litellm = {"name": LITELLM_NAME}
    rules = [rule(model.name, {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": model.name}
                  if litellm_reason(spec, model, routed) is None else litellm) for model in spec.serving.models]
    if spec.gateway.tiered_routing:  # the tier router's own model name: LiteLLM picks the tier
        rules.append(rule(spec.gateway.tiers.model_name, litellm))
    return {
        "apiVersion": "aigateway.envoyproxy.io/v1beta1", "kind": "AIGatewayRoute",
        "metadata": _meta(ROUTE_NAME, "route"),
        "spec": {"parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway_name,
                                 "namespace": GATEWAY_NAMESPACE}],
                 "rules": rules},
    }


def key_id_policy() -> dict[str, Any]:
    """The Lua filter that sets KEY_ID_HEADER (Lua EnvoyExtensionPolicies need `extensionApis.enableLua`)."""
    return {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyExtensionPolicy",
        "metadata": _meta("key-id", "rate-limit"),
        "spec": {"targetRefs": _route_target(), "lua": [{"type": "Inline", "inline": KEY_ID_SCRIPT.read_text()}]},
    }


def rate_limit_policy(spec: PlatformSpec) -> dict[str, Any]:
    """`gateway.rpm_per_key` per distinct API key (its KEY_ID_HEADER), counted across Envoy replicas in Redis."""
    return {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy",
        "metadata": _meta("per-key-rate-limit", "rate-limit"),
        "spec": {"targetRefs": _route_target(), "rateLimit": {"type": "Global", "global": {"rules": [{
            "clientSelectors": [{"headers": [{"type": "Distinct", "name": KEY_ID_HEADER}]}],
            "limit": {"requests": spec.gateway.rpm_per_key, "unit": "Minute"}}]}}},
    }


def key_check_policy() -> dict[str, Any]:
    """Every request's key checked by LiteLLM before Envoy routes it; fails closed."""
    return {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "SecurityPolicy",
        "metadata": _meta("key-check", "auth"),
        "spec": {"targetRefs": _route_target(), "extAuth": {
            "http": {"backendRefs": [{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": LITELLM_NAME}],
                     "pathOverride": KEY_CHECK_PATH},
            "headersToExtAuth": [KEY_HEADER], "failOpen": False}},
    }


def envoy_objects(spec: PlatformSpec, routed: set[str], gateway_name: str) -> list[dict[str, Any]]:
    """Every custom resource of the Envoy data plane, in apply order."""
    return [*litellm_backend(), ai_gateway_route(spec, routed, gateway_name), key_id_policy(),
            rate_limit_policy(spec), key_check_policy()]


def rate_limit(redis_url: Any) -> dict[str, Any]:
    """Envoy Gateway's `rateLimit` setting (EnvoyGateway config, chart value `config.envoyGateway.rateLimit`): the
    global rate-limit service counts in the gateway's Valkey (`host:port`) over TLS (an empty `tls` sets
    REDIS_TLS=true; ElastiCache's certificate is publicly trusted, no client certificate). It fails open, as
    LiteLLM's own limits do without Redis: an unreachable counter store skips the per-key limit rather than stopping
    every model request (keys are still checked, failing closed). Field names: envoyproxy/gateway v1.9.0
    api/v1alpha1/envoygateway_types.go (RateLimit, RateLimitDatabaseBackend, RateLimitRedisSettings,
    RedisTLSSettings)."""
    return {"backend": {"type": "Redis", "redis": {"url": redis_url, "tls": {}}}, "failClosed": False}


def rate_limit_deployment(node_selector: dict[str, str], replicas: int) -> dict[str, Any]:
    """The rate-limit service's Deployment settings (EnvoyGatewayKubernetesProvider `rateLimitDeployment`, a
    KubernetesDeploymentSpec, the type of EnvoyProxy's `envoyDeployment` too): the Valkey AUTH token from
    RATE_LIMIT_REDIS_SECRET as REDIS_AUTH, on the system nodes."""
    token = {"name": REDIS_AUTH_ENV, "valueFrom": {"secretKeyRef": {"name": RATE_LIMIT_REDIS_SECRET,
                                                                    "key": REDIS_PASSWORD_KEY}}}
    return {"replicas": replicas, "pod": {"nodeSelector": node_selector}, "container": {"env": [token]}}


def rate_limit_network_policy(vpc_cidr: Any) -> dict[str, Any]:
    """Isolates the rate-limit service's pods (labels, ports: envoyproxy/gateway v1.9.0
    internal/infrastructure/kubernetes/ratelimit/resource.go rateLimitLabels, InfraGRPCPort, ReadinessPort,
    PrometheusPort, XdsGrpcSotwConfigServerPort). In: Envoy (the gateway namespace) on gRPC, Prometheus on metrics,
    the kubelet's readiness probe. Out: DNS, Valkey (TLS, in the VPC), Envoy Gateway's xDS for its limits."""
    def namespace_peer(name: str) -> dict[str, Any]:
        return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}

    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "envoy-ratelimit", "namespace": ENVOY_GATEWAY_NAMESPACE, "labels": _labels("network")},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "envoy-ratelimit",
                                            "app.kubernetes.io/component": "ratelimit"}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [namespace_peer(GATEWAY_NAMESPACE)], "ports": [{"protocol": "TCP", "port": 8081}]},
                        {"from": [namespace_peer(MONITORING_NAMESPACE)],
                         "ports": [{"protocol": "TCP", "port": 19001}]},
                        {"from": [{"ipBlock": {"cidr": vpc_cidr}}], "ports": [{"protocol": "TCP", "port": 8080}]}],
            "egress": [
                {"to": [namespace_peer("kube-system")], "ports": [{"protocol": "UDP", "port": 53},
                                                                  {"protocol": "TCP", "port": 53}]},
                {"to": [{"ipBlock": {"cidr": vpc_cidr}}], "ports": [{"protocol": "TCP", "port": 6379}]},
                {"to": [{"podSelector": {}}], "ports": [{"protocol": "TCP", "port": 18001}]},
            ],
        },
    }
