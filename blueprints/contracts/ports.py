"""The port graph: every in-cluster call the platform wires resolves to a port that is served, reachable and
monitored as configured (pure: Kubernetes objects and the generated LiteLLM config in, problems out).

For each cluster (one region) of the planned graph:
- every Service selects pods of the graph, and each of its targetPorts (number or name) is a containerPort of every
  selected pod;
- every call the platform configures (LiteLLM `api_base`, in-cluster URLs in pod environments, ALB target group
  bindings) resolves host -> Service port -> targetPort -> containerPort, or through the inference gateway
  (Gateway listener -> HTTPRoute -> InferencePool target port) to the model pods; the NetworkPolicies that isolate
  the target pods admit the caller on that port; and for model backends the path the client will request is one the
  server in that image serves on that port;
- every PodMonitor/ServiceMonitor names a port the selected pods/Services have, Prometheus is admitted on it, and a
  model server serves the scrape path there;
- every named port a NetworkPolicy admits is a containerPort name of a pod it selects (else it admits nothing).

Targets made by Helm charts (Prometheus, the OTel collector, the pods of Karpenter or KEDA) are not objects of the
graph: given the charts' rendered objects (`chart_objects`, rendered by the caller with the pinned real charts) calls
and monitors resolve into them too; whatever stays unresolved (no chart objects given, or pods an operator makes at
run time) is reported in `PortReport.external`, never silently passed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml

if TYPE_CHECKING:
    from blueprints.engine.graph import ResourceGraph

LITELLM_CONFIG_KIND = "litellm-config"
"""`blueprints.io/artifact-kind` of the gateway's ConfigMap (blueprints.gateway.manifests.ARTIFACT_KIND)."""
ARTIFACT_ANNOTATION = "blueprints.io/artifact-kind"
PROMETHEUS = ("monitoring", {"app.kubernetes.io/name": "prometheus"})
"""Namespace and pod labels of the kube-prometheus-stack Prometheus that scrapes every monitor."""
KEDA = ("keda", {"app.kubernetes.io/name": "keda-operator"})
"""Namespace and pod labels of KEDA's operator, which runs the ScaledObjects' Prometheus queries."""
OPENAI_SUFFIX = {"chat": "/chat/completions", "completion": "/completions", "embedding": "/embeddings"}
"""What the OpenAI client LiteLLM's `openai/` provider uses appends to `api_base`, by `model_info.mode`."""

# Paths each serving image answers, per container port (None: whatever port its arguments bind).
SERVER_ROUTES: dict[str, dict[int | None, frozenset[str]]] = {
    # trtllm-serve (TensorRT-LLM v1.3.0rc24 tensorrt_llm/serve/openai_server.py, OpenAIServer.register_routes and
    # mount_metrics) on the port images/entrypoint/serve_model.py binds (8000). Its `/metrics` is JSON iteration
    # stats, no scrape target: left out so that a monitor pointed there fails.
    "trtllm-serve": {8000: frozenset({"/health", "/v1/models", "/v1/completions", "/v1/chat/completions",
                                      "/prometheus/metrics"})},
    # Triton's OpenAI-compatible frontend (triton-inference-server/server r26.09 python/openai/openai_frontend:
    # frontend/fastapi/routers/{chat,completions,models,observability}.py) on its --openai-port, which
    # images/entrypoint/serve_model.py sets to 9000 (main.py's default); the KServe frontends stay off.
    "triton-trtllm": {9000: frozenset({"/v1/chat/completions", "/v1/completions", "/v1/models", "/metrics",
                                       "/health/ready"})},
    # text-embeddings-inference 1.8 (huggingface/text-embeddings-inference router/src/http/server.rs) on --port.
    "text-embeddings-inference": {None: frozenset({"/v1/embeddings", "/embed", "/health", "/metrics"})},
}


@dataclass(frozen=True)
class Pod:
    """The pod template of one workload."""

    namespace: str
    owner: str
    labels: Mapping[str, str]
    ports: Mapping[int, str | None]
    """containerPort -> its name (None when unnamed), over all containers."""
    image: str
    mounts_config_maps: frozenset[str]
    from_chart: bool = False
    """Rendered from a Helm chart: a numeric port its own arguments bind counts even when the chart declares no
    containerPort for it (Kubernetes routes numeric targetPorts and scrapes numeric ports regardless)."""

    @property
    def server(self) -> str:
        """The image's repository name without registry and tag: `.../corp-prod/trtllm-serve:1-1` -> `trtllm-serve`."""
        return self.image.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]

    def resolve(self, port: int | str) -> int | None:
        if isinstance(port, int):
            return port if port in self.ports or self.from_chart else None
        return next((number for number, name in self.ports.items() if name == port), None)


@dataclass(frozen=True)
class Caller:
    namespace: str | None
    labels: Mapping[str, str] = field(default_factory=dict)
    vpc: bool = False
    """A load balancer in the VPC (target type ip): matched by ipBlock rules, not by selectors."""


@dataclass
class PortReport:
    problems: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    checked_calls: list[str] = field(default_factory=list)
    """Every call resolved end to end (`caller -> url -> pod:port`), so a test can see what was covered."""


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Kubernetes label selector semantics (matchLabels + matchExpressions); an empty selector matches all."""
    selector = selector or {}
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        ok = {"In": key in labels and labels[key] in values, "NotIn": labels.get(key) not in values,
              "Exists": key in labels, "DoesNotExist": key not in labels}[operator]
        if not ok:
            return False
    return True


def _pods(objects: Iterable[dict[str, Any]], from_chart: bool = False) -> list[Pod]:
    pods = []
    for obj in objects:
        if obj.get("kind") not in ("Deployment", "StatefulSet", "DaemonSet"):
            continue
        template = obj["spec"]["template"]
        spec = template["spec"]
        ports = {port["containerPort"]: port.get("name") for container in spec["containers"]
                 for port in container.get("ports") or []}
        mounts = frozenset(volume["configMap"]["name"] for volume in spec.get("volumes") or []
                           if "configMap" in volume)
        pods.append(Pod(obj["metadata"]["namespace"], f"{obj['kind']}/{obj['metadata']['name']}",
                        template["metadata"].get("labels") or {}, ports, str(spec["containers"][0]["image"]),
                        mounts, from_chart))
    return pods


class _Cluster:
    """The objects of one cluster, indexed for resolution."""

    def __init__(self, objects: list[dict[str, Any]], chart_objects: list[dict[str, Any]]):
        self.own, self.objects = objects, [*objects, *chart_objects]
        self.own_services = {(o["metadata"]["namespace"], o["metadata"]["name"])
                             for o in objects if o.get("kind") == "Service"}
        self.pods = [*_pods(objects), *_pods(chart_objects, from_chart=True)]
        self.namespace_labels = {obj["metadata"]["name"]: obj["metadata"].get("labels") or {}
                                 for obj in objects if obj.get("kind") == "Namespace"}
        self.services = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in self.of("Service")}
        self.chart_namespaces = {o["namespace"] for o in self.of("Release")}

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [obj for obj in self.objects if obj.get("kind") == kind]

    def selected(self, namespace: str, selector: Mapping[str, Any] | None) -> list[Pod]:
        return [pod for pod in self.pods if pod.namespace == namespace and matches(selector, pod.labels)]

    def labels_of_namespace(self, namespace: str) -> dict[str, str]:
        return {**self.namespace_labels.get(namespace, {}), "kubernetes.io/metadata.name": namespace}

    # NetworkPolicy ingress semantics (networking.k8s.io/v1): a pod selected by any policy with Ingress in its
    # policyTypes admits only what one of those policies' rules admits (peer and port).
    def admits(self, pod: Pod, caller: Caller, port: int) -> bool:
        isolating = [policy for policy in self.of("NetworkPolicy")
                     if policy["metadata"]["namespace"] == pod.namespace
                     and "Ingress" in (policy["spec"].get("policyTypes") or ["Ingress"])
                     and matches(policy["spec"].get("podSelector"), pod.labels)]
        if not isolating:
            return True
        return any(self._rule_admits(rule, pod, caller, port)
                   for policy in isolating for rule in policy["spec"].get("ingress") or [])

    def _rule_admits(self, rule: dict[str, Any], pod: Pod, caller: Caller, port: int) -> bool:
        ports = rule.get("ports") or []
        port_ok = not ports or any(self._port_matches(entry, pod, port) for entry in ports)
        peers = rule.get("from") or []
        return port_ok and (not peers or any(self._peer_matches(peer, pod, caller) for peer in peers))

    @staticmethod
    def _port_matches(entry: dict[str, Any], pod: Pod, port: int) -> bool:
        if entry.get("protocol", "TCP") != "TCP":
            return False
        value = entry.get("port")
        if value is None:
            return True
        if isinstance(value, str):
            return pod.ports.get(port) == value
        return value <= port <= entry.get("endPort", value)

    def _peer_matches(self, peer: dict[str, Any], pod: Pod, caller: Caller) -> bool:
        if "ipBlock" in peer:
            network = ipaddress.ip_network(peer["ipBlock"]["cidr"])
            return caller.vpc and network.is_private and network.prefixlen < 32
        if caller.namespace is None:
            return False
        if "namespaceSelector" in peer:
            if not matches(peer["namespaceSelector"], self.labels_of_namespace(caller.namespace)):
                return False
        elif caller.namespace != pod.namespace:
            return False
        return "podSelector" not in peer or matches(peer["podSelector"], caller.labels)


def _service_host(url: str) -> tuple[str, str, int, str] | None:
    """(service, namespace, port, path) of an in-cluster URL, None for anything else."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    labels = host.split(".")
    if len(labels) not in (3, 5) or not (host.endswith(".svc.cluster.local") or host.endswith(".svc")):
        return None
    default = 443 if parts.scheme == "https" else 80
    return labels[0], labels[1], parts.port or default, parts.path.rstrip("/")


def _served(pod: Pod, port: int, path: str, *, prefix: bool) -> bool | None:
    """Whether the pod's server answers `path` (or, with `prefix`, some path under it) on `port`; None: unknown."""
    routes = SERVER_ROUTES.get(pod.server)
    if routes is None:
        return None
    paths = routes.get(port, routes.get(None, frozenset()))
    return any(p == path or p.startswith(path + "/") for p in paths) if prefix else path in paths


class _Checker:
    def __init__(self, region: str, objects: list[dict[str, Any]], chart_objects: list[dict[str, Any]]):
        self.region, self.cluster, self.report = region, _Cluster(objects, chart_objects), PortReport()

    def problem(self, subject: str, message: str) -> None:
        self.report.problems.append(f"{self.region}: {subject}: {message}")

    def run(self) -> PortReport:
        self.services()
        self.gateway_backends()
        self.environment_urls()
        self.target_group_bindings()
        self.monitors()
        self.policy_port_names()
        return self.report

    def services(self) -> None:
        for (namespace, name), service in self.cluster.services.items():
            if (namespace, name) not in self.cluster.own_services:
                continue  # a chart's own Services select what its operator makes at run time
            selector = service["spec"].get("selector")
            pods = self.cluster.selected(namespace, {"matchLabels": selector}) if selector else []
            if not pods:
                self.problem(f"Service {namespace}/{name}", f"selects no pod of the graph ({selector})")
            for entry in service["spec"].get("ports") or []:
                target = entry.get("targetPort", entry["port"])
                for pod in pods:
                    if pod.resolve(target) is None:
                        self.problem(f"Service {namespace}/{name} port {entry['port']}",
                                     f"targetPort {target!r} is no containerPort of {pod.owner} ({dict(pod.ports)})")

    def _via_service(self, service: dict[str, Any], port: int) -> list[tuple[Pod, int]] | str:
        entry = next((p for p in service["spec"].get("ports") or [] if p["port"] == port), None)
        if entry is None:
            return f"Service has no port {port} (ports {[p['port'] for p in service['spec'].get('ports') or []]})"
        target = entry.get("targetPort", port)
        pods = self.cluster.selected(service["metadata"]["namespace"], {"matchLabels": service["spec"]["selector"]})
        key = (service["metadata"]["namespace"], service["metadata"]["name"])
        if not pods and key not in self.cluster.own_services:
            return []  # a chart's Service whose pods an operator makes at run time (Prometheus)
        resolved = [(pod, pod.resolve(target)) for pod in pods]
        if not resolved or any(number is None for _, number in resolved):
            return f"targetPort {target!r} resolves to no containerPort of the selected pods"
        return [(pod, number) for pod, number in resolved if number is not None]

    def _envoy_gateways(self, namespace: str, name: str,
                        port: int) -> tuple[dict[str, Any], list[dict[str, Any]]] | str | None:
        """Envoy's Service (named by an EnvoyProxy; Envoy Gateway makes it and its pods at run time) -> the Gateways
        it serves, one of which must listen on `port`. None: no EnvoyProxy names the Service."""
        proxies = [p for p in self.cluster.of("EnvoyProxy") if p["metadata"]["namespace"] == namespace
                   and p["spec"]["provider"]["kubernetes"].get("envoyService", {}).get("name") == name]
        if not proxies:
            return None
        proxy = proxies[0]
        gateways = [g for g in self.cluster.of("Gateway") if g["metadata"]["namespace"] == namespace
                    and (g["spec"].get("infrastructure") or {}).get("parametersRef", {}).get("name")
                    == proxy["metadata"]["name"]]
        if not any(listener["port"] == port for g in gateways for listener in g["spec"]["listeners"]):
            return f"no Gateway behind EnvoyProxy {proxy['metadata']['name']} listens on {port}"
        return proxy, gateways

    def _via_inference_gateway(self, namespace: str, name: str, port: int,
                               path: str) -> tuple[list[tuple[Pod, int]], str, Caller] | str | None:
        """Envoy's Service (named by an EnvoyProxy) -> Gateway listener -> HTTPRoute -> InferencePool release."""
        found = self._envoy_gateways(namespace, name, port)
        if found is None or isinstance(found, str):
            return found
        proxy, gateways = found
        envoy = Caller(namespace, proxy["spec"]["provider"]["kubernetes"].get("envoyDeployment", {})
                       .get("pod", {}).get("labels") or {})
        for route in self.cluster.of("HTTPRoute"):
            if not any(ref["name"] in {g["metadata"]["name"] for g in gateways}
                       and ref.get("namespace", route["metadata"]["namespace"]) == namespace
                       for ref in route["spec"]["parentRefs"]):
                continue
            for rule in route["spec"]["rules"]:
                prefixes = [m["path"]["value"] for m in rule.get("matches") or [] if m["path"]["type"] == "PathPrefix"]
                prefix = next((p for p in prefixes if (path + "/").startswith(p.rstrip("/") + "/")), None)
                if prefix is None:
                    continue
                rewritten = path
                for rewrite in rule.get("filters") or []:
                    replacement = rewrite.get("urlRewrite", {}).get("path", {}).get("replacePrefixMatch")
                    if replacement is not None:
                        rewritten = "/" + (replacement.strip("/") + "/" + path[len(prefix.rstrip("/")):]
                                           .lstrip("/")).strip("/")
                targets = self._pool_targets(route["metadata"]["namespace"], rule["backendRefs"])
                return (targets, rewritten, envoy) if not isinstance(targets, str) else targets
        return f"no HTTPRoute on Gateway {[g['metadata']['name'] for g in gateways]} matches {path}"

    def _pool_targets(self, namespace: str, refs: list[dict[str, Any]]) -> list[tuple[Pod, int]] | str:
        targets: list[tuple[Pod, int]] = []
        for ref in refs:
            # The inferencepool chart (kubernetes-sigs/gateway-api-inference-extension v1.5.0
            # config/charts/inferencepool) names the pool after its release.
            release = next((r for r in self.cluster.of("Release") if r["name"] == ref["name"]
                            and r["namespace"] == namespace and r["chart"].endswith("inferencepool")), None)
            if release is None:
                return f"InferencePool {namespace}/{ref['name']} is made by no release of the graph"
            pool = release["values"]["inferencePool"]
            pods = self.cluster.selected(namespace, {"matchLabels": pool["modelServers"]["matchLabels"]})
            if not pods:
                return f"InferencePool {namespace}/{ref['name']} selects no pod of the graph"
            for number in (p["number"] for p in pool["targetPorts"]):
                missing = [pod.owner for pod in pods if number not in pod.ports]
                if missing:
                    return f"InferencePool {namespace}/{ref['name']} targets port {number}, not exposed by {missing}"
                targets += [(pod, number) for pod in pods]
        return targets

    def call(self, subject: str, caller: Caller, url: str, suffix: str | None) -> None:
        """One configured call: `suffix` is what the client appends to the URL (None: a base URL whose paths the
        client chooses; then some served path must lie under it)."""
        parsed = _service_host(url)
        if parsed is None:
            return
        name, namespace, port, path = parsed
        full = path + (suffix or "")
        service = self.cluster.services.get((namespace, name))
        hops: list[tuple[Pod, int]] | str
        if service is not None:
            hops, rewritten, peer = self._via_service(service, port), full, caller
        else:
            routed = self._via_inference_gateway(namespace, name, port, full)
            if routed is None:
                if namespace in self.cluster.chart_namespaces:
                    self.report.external.append(f"{self.region}: {subject} -> {url} (chart-made Service)")
                else:
                    self.problem(subject, f"{url}: no Service {namespace}/{name} in the graph")
                return
            if isinstance(routed, str):
                hops = routed
            else:
                hops, rewritten, peer = routed
        if isinstance(hops, str):
            self.problem(subject, f"{url}: {hops}")
            return
        if not hops:
            self.report.external.append(f"{self.region}: {subject} -> {url} (chart Service {namespace}/{name} has "
                                        f"port {port}; its pods are made at run time)")
            return
        for pod, number in hops:
            if not self.cluster.admits(pod, peer, number):
                self.problem(subject, f"{url}: NetworkPolicy of {pod.namespace} does not admit "
                                      f"{peer.namespace or 'the VPC'} to {pod.owner} port {number}")
            served = _served(pod, number, rewritten, prefix=suffix is None)
            if served is False:
                self.problem(subject, f"{url}: {pod.server} in {pod.owner} serves no {rewritten} on port {number}")
            self.report.checked_calls.append(f"{self.region}: {subject} -> {url} -> {pod.owner}:{number}")

    def gateway_backends(self) -> None:
        for config_map in self.cluster.of("ConfigMap"):
            annotations = config_map["metadata"].get("annotations") or {}
            if annotations.get(ARTIFACT_ANNOTATION) != LITELLM_CONFIG_KIND:
                continue
            name = config_map["metadata"]["name"]
            callers = [pod for pod in self.cluster.pods if name in pod.mounts_config_maps
                       and pod.namespace == config_map["metadata"]["namespace"]]
            config = yaml.safe_load(config_map["data"]["config.yaml"])
            for entry in config.get("model_list") or []:
                params, info = entry["litellm_params"], entry.get("model_info") or {}
                if "api_base" not in params:
                    continue
                provider = params["model"].split("/", 1)[0]
                subject = f"LiteLLM {entry['model_name']} ({params['model']})"
                if provider != "openai":
                    self.problem(subject, f"provider {provider!r}: only `openai/` backends are wired in-cluster")
                    continue
                if not callers:
                    self.problem(subject, f"no pod mounts the config map {name}")
                for pod in callers:
                    self.call(subject, Caller(pod.namespace, pod.labels), params["api_base"],
                              OPENAI_SUFFIX[info.get("mode", "chat")])

    def environment_urls(self) -> None:
        for obj in self.cluster.own:
            if obj.get("kind") == "Deployment":
                pod = next(p for p in self.cluster.pods if p.owner == f"Deployment/{obj['metadata']['name']}"
                           and p.namespace == obj["metadata"]["namespace"])
                for container in obj["spec"]["template"]["spec"]["containers"]:
                    for env in container.get("env") or []:
                        if isinstance(env.get("value"), str) and "://" in env["value"]:
                            self.call(f"{pod.owner} env {env['name']}", Caller(pod.namespace, pod.labels),
                                      env["value"], None)
            elif obj.get("kind") == "ScaledObject":
                for trigger in obj["spec"].get("triggers") or []:
                    address = (trigger.get("metadata") or {}).get("serverAddress")
                    if isinstance(address, str):
                        self.call(f"ScaledObject {obj['metadata']['name']} trigger {trigger.get('name')}",
                                  Caller(KEDA[0], KEDA[1]), address, None)

    def target_group_bindings(self) -> None:
        for binding in self.cluster.of("TargetGroupBinding"):
            ref, namespace = binding["spec"]["serviceRef"], binding["metadata"]["namespace"]
            service = self.cluster.services.get((namespace, ref["name"]))
            subject = f"TargetGroupBinding {namespace}/{binding['metadata']['name']}"
            if service is None:
                envoy = self._envoy_gateways(namespace, ref["name"], ref["port"])
                if envoy is None or isinstance(envoy, str):
                    self.problem(subject, envoy or f"no Service {namespace}/{ref['name']}")
                else:  # the Envoy data plane: Envoy Gateway's Service of a Gateway listening on that port
                    self.report.checked_calls.append(
                        f"{self.region}: {subject} -> {namespace}/{ref['name']}:{ref['port']} -> Gateway "
                        f"{[g['metadata']['name'] for g in envoy[1]]} listener {ref['port']}")
                continue
            hops = self._via_service(service, ref["port"])
            if isinstance(hops, str):
                self.problem(subject, hops)
                continue
            for pod, number in hops:
                if not self.cluster.admits(pod, Caller(None, vpc=True), number):
                    self.problem(subject, f"NetworkPolicy of {namespace} does not admit the VPC to {pod.owner} "
                                          f"port {number}")

    def monitors(self) -> None:
        prometheus = Caller(*PROMETHEUS)
        for monitor in self.cluster.of("PodMonitor"):
            namespace = monitor["metadata"]["namespace"]
            subject = f"PodMonitor {namespace}/{monitor['metadata']['name']}"
            names = (monitor["spec"].get("namespaceSelector") or {}).get("matchNames") or [namespace]
            pods = [pod for ns in names for pod in self.cluster.selected(ns, monitor["spec"].get("selector"))]
            if not pods:
                if all(ns in self.cluster.chart_namespaces and not any(p.namespace == ns for p in self.cluster.pods)
                       for ns in names):
                    self.report.external.append(f"{self.region}: {subject} -> chart-made pods in {names}")
                else:
                    self.problem(subject, f"selects no pod of the graph in {names}")
                continue
            for endpoint in monitor["spec"].get("podMetricsEndpoints") or []:
                port = endpoint.get("port", endpoint.get("portNumber"))
                for pod in pods:
                    number = pod.resolve(port) if port is not None else None
                    if number is None:
                        self.problem(subject, f"port {port!r} is no containerPort of {pod.owner} ({dict(pod.ports)})")
                        continue
                    if not self.cluster.admits(pod, prometheus, number):
                        self.problem(subject, f"NetworkPolicy of {pod.namespace} does not admit Prometheus to "
                                              f"{pod.owner} port {number}")
                    if _served(pod, number, endpoint.get("path", "/metrics"), prefix=False) is False:
                        self.problem(subject, f"{pod.server} serves no {endpoint.get('path', '/metrics')} on "
                                              f"port {number}")
        for monitor in self.cluster.of("ServiceMonitor"):
            namespace = monitor["metadata"]["namespace"]
            names = (monitor["spec"].get("namespaceSelector") or {}).get("matchNames") or [namespace]
            services = [s for (ns, _), s in self.cluster.services.items()
                        if ns in names and matches(monitor["spec"].get("selector"), s["metadata"].get("labels") or {})]
            subject = f"ServiceMonitor {namespace}/{monitor['metadata']['name']}"
            if not services:
                self.problem(subject, f"selects no Service of the graph in {names}")
            for endpoint in monitor["spec"].get("endpoints") or []:
                for service in services:
                    ports = service["spec"].get("ports") or []
                    if not any(p.get("name") == endpoint.get("port") for p in ports):
                        self.problem(subject, f"port {endpoint.get('port')!r} is no port name of Service "
                                              f"{service['metadata']['name']}")

    def policy_port_names(self) -> None:
        for policy in self.cluster.of("NetworkPolicy"):
            namespace = policy["metadata"]["namespace"]
            pods = self.cluster.selected(namespace, policy["spec"].get("podSelector"))
            for rule in policy["spec"].get("ingress") or []:
                for entry in rule.get("ports") or []:
                    name = entry.get("port")
                    if isinstance(name, str) and pods and not any(name in pod.ports.values() for pod in pods):
                        self.problem(f"NetworkPolicy {namespace}/{policy['metadata']['name']}",
                                     f"admits port {name!r}, which no selected pod names")


def check_cluster(region: str, objects: list[dict[str, Any]],
                  chart_objects: list[dict[str, Any]] | None = None) -> PortReport:
    """The port contract over the Kubernetes objects of one cluster (Helm releases as `kind: Release` with the
    release's `name`, `namespace`, `chart` and `values`); `chart_objects`: what those releases' charts render
    (Services and workloads, each with its namespace)."""
    return _Checker(region, objects, chart_objects or []).run()


def cluster_objects(graph: ResourceGraph) -> dict[str, list[dict[str, Any]]]:
    """Kubernetes objects of the graph by region (each region is one cluster), Helm releases included."""
    clusters: dict[str, list[dict[str, Any]]] = {}
    for resource in graph.resources:
        if not resource.type.startswith("kubernetes:") or not resource.custom or resource.region is None:
            continue
        if resource.type == "kubernetes:helm.sh/v3:Release":
            obj = {"kind": "Release", "name": resource.inputs.get("name"), "chart": resource.inputs.get("chart", ""),
                   "namespace": resource.inputs.get("namespace"), "values": resource.inputs.get("values") or {}}
        elif "kind" in resource.inputs and "metadata" in resource.inputs:
            obj = resource.inputs
        else:
            continue
        clusters.setdefault(resource.region, []).append(obj)
    return clusters


def check_ports(graph: ResourceGraph) -> PortReport:
    """The port contract over every cluster of the graph."""
    report = PortReport()
    for region, objects in sorted(cluster_objects(graph).items()):
        one = check_cluster(region, objects)
        report.problems += one.problems
        report.external += one.external
        report.checked_calls += one.checked_calls
    return report
