"""KV-cache and queue-aware routing to self-hosted models with several replicas: the Gateway API Inference
Extension on Envoy Gateway.

LiteLLM -> Envoy (a Gateway in the `gateway` namespace, one ClusterIP Service) -> HTTPRoute `/<model>/...`
-> the model's InferencePool, whose endpoint picker (upstream `inferencepool` chart) chooses the pod with the
shortest queue and most free KV cache, from the model server's own Prometheus gauges. Envoy Gateway resolves
InferencePool backends through the Envoy AI Gateway extension server (upstream charts, pinned).

With the Envoy data plane (`gateway.data_plane`, blueprints/gateway/envoy_data_plane.py) the same Envoy also takes
the clients' model requests from the ALB: this component applies the AIGatewayRoute and its policies, and gives Envoy
Gateway's global rate-limit service the gateway's Valkey (TLS, AUTH token synced into its namespace).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi

from blueprints.components.cluster import SYSTEM_NODE_LABEL
from blueprints.components.helm import chart_release
from blueprints.components.kube import apply_manifest
from blueprints.components.secrets import SYNC_LABEL
from blueprints.gateway.capacity import HPA_CPU_UTILIZATION, gateway_sizing
from blueprints.gateway.data_plane import data_plane, routed_models
from blueprints.gateway.envoy_data_plane import (
    ENVOY_GATEWAY_NAMESPACE,
    LISTENER_PORT,
    RATE_LIMIT_REDIS_SECRET,
    SERVICE_NAME,
    envoy_objects,
    rate_limit,
    rate_limit_deployment,
    rate_limit_network_policy,
)
from blueprints.gateway.manifests import NAMESPACE as GATEWAY_NAMESPACE
from blueprints.gateway.manifests import PART_OF, REDIS_PASSWORD_KEY
from blueprints.serving.manifests import MODEL_LABEL, engine_of
from blueprints.serving.manifests import NAMESPACE as MODELS_NAMESPACE
from blueprints.spec import ModelSpec, PlatformSpec

if TYPE_CHECKING:
    from blueprints.components.cache import ResponseCache
    from blueprints.components.secrets import Secrets
    from blueprints.context import RegionContext

AI_GATEWAY_NAMESPACE = "envoy-ai-gateway-system"
GATEWAY_CLASS = "envoy"
GATEWAY_NAME = "inference-gateway"
EPP_PORT = 9002
EPP_LABEL = "inferencepool"
"""Label key the inferencepool chart puts on its endpoint-picker pods."""
CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
ROUTE_TIMEOUT = "600s"


def routed_base_url(model_name: str) -> str:
    return f"http://{SERVICE_NAME}.{GATEWAY_NAMESPACE}.svc.cluster.local:{LISTENER_PORT}/{model_name}/v1"


def _labels(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": GATEWAY_NAME, "app.kubernetes.io/part-of": PART_OF,
            "app.kubernetes.io/component": component}


def envoy_gateway_values(spec: PlatformSpec, redis_url: Any = None) -> dict[str, Any]:
    """Envoy Gateway with proxies in each Gateway's namespace and InferencePool backends through the AI
    Gateway extension server (envoyproxy/ai-gateway manifests/envoy-gateway-values.yaml + inference-pool addon);
    with `redis_url` (the Envoy data plane) its global rate-limit service on that Valkey."""
    kubernetes: dict[str, Any] = {"deploy": {"type": "GatewayNamespace"}}
    limits: dict[str, Any] = {}
    if redis_url is not None:
        kubernetes["rateLimitDeployment"] = rate_limit_deployment(SYSTEM_NODE_LABEL, _replicas(spec))
        limits["rateLimit"] = rate_limit(redis_url)
    return {
        "config": {"envoyGateway": {
            "gateway": {"controllerName": CONTROLLER_NAME},
            "provider": {"type": "Kubernetes", "kubernetes": kubernetes},
            **limits,
            # enableLua: the data plane's key-id filter (Lua EnvoyExtensionPolicies are off by default in v1.9.0).
            "extensionApis": {"enableBackend": True, "enableEnvoyPatchPolicy": True,
                              **({"enableLua": True} if redis_url is not None else {})},
            "extensionManager": {
                "hooks": {"xdsTranslator": {
                    "translation": {part: {"includeAll": True} for part in ("listener", "route", "cluster",
                                                                            "secret")},
                    "post": ["Translation", "Cluster", "Route"]}},
                "service": {"fqdn": {"hostname": f"ai-gateway-controller.{AI_GATEWAY_NAMESPACE}.svc.cluster.local",
                                     "port": 1063}},
                "backendResources": [{"group": "inference.networking.k8s.io", "kind": "InferencePool",
                                      "version": "v1"}],
            },
        }},
        "deployment": {"replicas": 2, "pod": {"nodeSelector": SYSTEM_NODE_LABEL}},
    }


def inference_pool_values(spec: PlatformSpec, model: ModelSpec) -> dict[str, Any]:
    """The `inferencepool` chart (v1.5.0) for one model: a pool over its pods and an endpoint picker that scrapes the
    engine's waiting-requests and KV-cache gauges. The picker's data layer takes the gauges' names from the engine
    named by `modelServerType` and the path from `metricsDataSource`; `flags` is a map of extra command-line flags."""
    engine = engine_of(spec)
    flags = {} if engine.metrics_port == engine.port else {"model-server-metrics-port": engine.metrics_port}
    return {
        "inferencePool": {"modelServers": {"matchLabels": {MODEL_LABEL: model.name}},
                          "targetPorts": [{"number": engine.port}], "modelServerType": engine.name},
        "inferenceExtension": {"replicas": 2 if spec.environment == "prod" else 1, "flags": flags,
                               "metricsDataSource": {"path": engine.metrics_path},
                               "tolerations": [], "affinity": {}},
        "provider": {"name": "none"},
    }


def _replicas(spec: PlatformSpec) -> int:
    return max(2, spec.gateway.replicas) if spec.environment == "prod" else 1


def envoy_autoscaler(spec: PlatformSpec, replicas: int) -> dict[str, Any]:
    """With the Envoy data plane Envoy carries the clients' model requests: it scales on its CPU like LiteLLM (same
    target), from its floor up to as many replicas as LiteLLM alone would take for the whole peak. Envoy's measured
    cost (0.35-1.3 ms of CPU per request, bench/envoy_data_plane.py) leaves out Envoy AI Gateway's external processor
    and the rate-limit call, which do not run here, so it does not size Envoy (EnvoyProxy `envoyHpa`,
    envoyproxy/gateway v1.9.0 KubernetesHorizontalPodAutoscalerSpec)."""
    return {"minReplicas": replicas, "maxReplicas": max(replicas, gateway_sizing(spec).max_replicas),
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": HPA_CPU_UTILIZATION}}}]}


def gateway_objects(spec: PlatformSpec) -> list[dict[str, Any]]:
    """GatewayClass, EnvoyProxy and the Gateway, in apply order."""
    security = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
    replicas = _replicas(spec)
    return [
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
         "metadata": {"name": GATEWAY_CLASS, "labels": _labels("gateway-class")},
         "spec": {"controllerName": CONTROLLER_NAME}},
        {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
         "metadata": {"name": GATEWAY_NAME, "namespace": GATEWAY_NAMESPACE, "labels": _labels("envoy-proxy")},
         "spec": {"provider": {"type": "Kubernetes", "kubernetes": {
             "envoyService": {"name": SERVICE_NAME, "type": "ClusterIP"},
             "envoyDeployment": {
                 "replicas": replicas,
                 "pod": {"nodeSelector": SYSTEM_NODE_LABEL, "labels": _labels("envoy-proxy")},
                 "container": {"resources": {"requests": {"cpu": "500m", "memory": "512Mi"},
                                             "limits": {"memory": "1Gi"}},
                               "securityContext": security},
             },
             "envoyPDB": {"maxUnavailable": 1},
             **({"envoyHpa": envoy_autoscaler(spec, replicas)} if data_plane(spec).kind == "envoy" else {}),
         }}}},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
         "metadata": {"name": GATEWAY_NAME, "namespace": GATEWAY_NAMESPACE, "labels": _labels("gateway")},
         "spec": {
             "gatewayClassName": GATEWAY_CLASS,
             "infrastructure": {"parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy",
                                                  "name": GATEWAY_NAME}},
             "listeners": [{"name": "http", "protocol": "HTTP", "port": LISTENER_PORT, "allowedRoutes": {
                 "namespaces": {"from": "Selector", "selector": {"matchLabels": {
                     "kubernetes.io/metadata.name": MODELS_NAMESPACE}}}}}],
         }},
    ]


def http_route(model: ModelSpec) -> dict[str, Any]:
    """`/<model>/v1/...` on the inference gateway -> `/v1/...` on a pod the model's endpoint picker chooses."""
    return {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": model.name, "namespace": MODELS_NAMESPACE, "labels": _labels("route")},
        "spec": {
            "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": GATEWAY_NAME,
                            "namespace": GATEWAY_NAMESPACE}],
            "rules": [{
                "matches": [{"path": {"type": "PathPrefix", "value": f"/{model.name}/"}}],
                "filters": [{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch",
                                                                           "replacePrefixMatch": "/"}}}],
                "backendRefs": [{"group": "inference.networking.k8s.io", "kind": "InferencePool",
                                 "name": model.name}],
                "timeouts": {"request": ROUTE_TIMEOUT},
            }],
        },
    }


def endpoint_picker_policy(spec: PlatformSpec) -> dict[str, Any]:
    """Added to the model namespace's deny-by-default policy: endpoint pickers scrape the model pods and
    take Envoy's ext_proc calls from the gateway namespace."""
    engine = engine_of(spec)
    model_pods = {"podSelector": {"matchExpressions": [{"key": MODEL_LABEL, "operator": "Exists"}]}}
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "endpoint-pickers", "namespace": MODELS_NAMESPACE, "labels": _labels("network")},
        "spec": {
            "podSelector": {"matchExpressions": [{"key": EPP_LABEL, "operator": "Exists"}]},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": GATEWAY_NAMESPACE}}}],
                "ports": [{"protocol": "TCP", "port": EPP_PORT}]}],
            "egress": [{"to": [model_pods], "ports": [{"protocol": "TCP", "port": engine.metrics_port}]}],
        },
    }


def model_scrape_policy(spec: PlatformSpec) -> dict[str, Any]:
    engine = engine_of(spec)
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "metrics-from-endpoint-pickers", "namespace": MODELS_NAMESPACE,
                     "labels": _labels("network")},
        "spec": {
            "podSelector": {"matchExpressions": [{"key": MODEL_LABEL, "operator": "Exists"}]},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchExpressions": [{"key": EPP_LABEL, "operator": "Exists"}]}}],
                         "ports": [{"protocol": "TCP", "port": engine.metrics_port}]}],
        },
    }


def envoy_gateway_namespace() -> dict[str, Any]:
    """Envoy Gateway's namespace, made before its chart so that External Secrets may sync the rate-limit service's
    Valkey token into it (SYNC_LABEL). Pod Security `baseline` enforced (the controller's and the rate-limit
    service's pods are the chart's and Envoy Gateway's own), `restricted` audited."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ENVOY_GATEWAY_NAMESPACE, "labels": {
        "app.kubernetes.io/part-of": PART_OF, "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/audit": "restricted", **SYNC_LABEL}}}


class InferenceRouting(pulumi.ComponentResource):
    """`endpoints`: routed model name -> base URL through the inference gateway (for the LiteLLM config).
    `cache` and `secrets`: the gateway's Valkey and the secrets it syncs from, required with the Envoy data plane
    (its rate-limit service counts there)."""

    endpoints: dict[str, str]

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, *, depends_on: list[pulumi.Resource],
                 opts: pulumi.ResourceOptions, cache: ResponseCache | None = None, secrets: Secrets | None = None):
        super().__init__("blueprints:gateway:InferenceRouting", name, None, opts)
        namer = ctx.namer
        models = routed_models(spec)
        self.endpoints = {model.name: routed_base_url(model.name) for model in models}
        child = pulumi.ResourceOptions(parent=self, depends_on=depends_on)
        crds = chart_release(namer("ai-gateway-crds"), "envoy-ai-gateway-crds", AI_GATEWAY_NAMESPACE, {}, child)
        envoy_data_plane = data_plane(spec).kind == "envoy"
        before_envoy: list[pulumi.Resource] = [crds]
        redis_url = None
        if envoy_data_plane:
            if cache is None or secrets is None:
                raise ValueError("the Envoy data plane needs the gateway's Valkey and secrets (rate-limit counters)")
            ns = apply_manifest(namer("envoy-gateway-namespace"), envoy_gateway_namespace(), child)
            apply_manifest(namer("envoy-ratelimit-netpol"), rate_limit_network_policy(ctx.network.vpc_cidr),
                           pulumi.ResourceOptions(parent=self, depends_on=[ns]))
            before_envoy.append(secrets.sync(ENVOY_GATEWAY_NAMESPACE, cache.token_secret,
                                             {REDIS_PASSWORD_KEY: None}, RATE_LIMIT_REDIS_SECRET,
                                             opts=pulumi.ResourceOptions(depends_on=[ns])))
            redis_url = pulumi.Output.format("{0}:{1}", cache.host, cache.port)
        envoy = chart_release(namer("envoy-gateway"), "envoy-gateway", ENVOY_GATEWAY_NAMESPACE,
                              envoy_gateway_values(spec, redis_url),
                              pulumi.ResourceOptions(parent=self, depends_on=before_envoy))
        ai_gateway = chart_release(
            namer("ai-gateway"), "envoy-ai-gateway", AI_GATEWAY_NAMESPACE,
            {"controller": {"nodeSelector": SYSTEM_NODE_LABEL}},
            pulumi.ResourceOptions(parent=self, depends_on=[envoy]))
        ready = pulumi.ResourceOptions(parent=self, depends_on=[*depends_on, envoy, ai_gateway])
        for manifest in gateway_objects(spec):
            apply_manifest(namer("inference", manifest["kind"].lower()), manifest, ready)
        for policy in (endpoint_picker_policy(spec), model_scrape_policy(spec)):
            apply_manifest(namer("inference", policy["metadata"]["name"]), policy, ready)
        for model in models:
            # The chart names the InferencePool after its release: the model's name, the HTTPRoute's backendRef.
            pool = chart_release(namer("inferencepool", model.name), "inferencepool", MODELS_NAMESPACE,
                                 inference_pool_values(spec, model), ready, release_name=model.name)
            apply_manifest(namer("inference-route", model.name), http_route(model),
                   pulumi.ResourceOptions(parent=self, depends_on=[pool]))
        if envoy_data_plane:
            for manifest in envoy_objects(spec, set(self.endpoints), GATEWAY_NAME):
                apply_manifest(namer("envoy-data-plane", manifest["kind"].lower(), manifest["metadata"]["name"]),
                               manifest, ready)
        self.register_outputs({"endpoints": self.endpoints})
