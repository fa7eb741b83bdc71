"""Every Helm release the program emits, rendered with its pinned real chart (tests/support/helm.py): no values-merge
warning, every rendered object valid against the strict schemas, and what the charts make of our values asserted on
the rendered objects (endpoint-picker args and config, Alertmanager routing, the OTel collector's pipelines and
ports)."""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import helm_python
import pytest
import yaml

from blueprints.components.inference_routing import EPP_LABEL, EPP_PORT
from blueprints.engine.graph import ResourceGraph, ResourceRecord
from blueprints.engine.program import build_graph
from blueprints.gateway.litellm_config import OTEL_COLLECTOR
from blueprints.render import ARTIFACT_ANNOTATION, HELM_RELEASE, kubernetes_object
from blueprints.serving.engines import ENGINES
from blueprints.versions import CHARTS
from tests.conftest import PRESETS
from tests.support.helm import Rendered, chart_key, render_chart, render_release

GRAPHS = [*((preset, "prod") for preset in PRESETS), ("enterprise-assistant", "dev")]
"""Every preset's prod, and one dev with the most charts: environments change replica counts and, with them, what
charts render (PDBs, leader election, probes), not the values' shape."""
OVERRIDES = {"cluster": {"gpu_software": "device-plugin"}, "retrieval": {"vector_store": "qdrant"}}
"""The charts no preset deploys: the NVIDIA device plugin with the standalone DCGM exporter, and Qdrant."""

EPP_FLAGS = {
    # gateway-api-inference-extension v1.5.0 pkg/epp/server/options.go (AddFlags) and
    # pkg/common/observability/logging/options.go (`v`), controller-runtime pkg/log/zap/zap.go (BindFlags).
    "grpc-port", "ha-enable-leader-election", "pool-group", "pool-namespace", "pool-name", "endpoint-selector",
    "endpoint-target-ports", "disable-endpoint-subset-filter", "model-server-metrics-scheme",
    "model-server-metrics-path", "model-server-metrics-port", "model-server-metrics-https-insecure-skip-verify",
    "refresh-metrics-interval", "refresh-prometheus-metrics-interval", "metrics-staleness-threshold",
    "total-queued-requests-metric", "total-running-requests-metric", "kv-cache-usage-percentage-metric",
    "lora-info-metric", "cache-info-metric", "tracing", "health-checking", "metrics-port", "grpc-health-port",
    "enable-pprof", "cert-path", "enable-cert-reload", "secure-serving", "metrics-endpoint-auth", "config-file",
    "config-text", "v", "zap-devel", "zap-encoder", "zap-log-level", "zap-stacktrace-level", "zap-time-encoding",
}
EPP_ENGINE_GAUGES = {
    # v1.5.0 pkg/epp/framework/plugins/datalayer/extractor/metrics/factories.go defaultEngineConfigs: the series the
    # endpoint picker reads for each `defaultEngine` (queued requests, KV-cache usage).
    "trtllm-serve": ("trtllm_num_requests_waiting", "trtllm_kv_cache_utilization"),
}


@pytest.fixture(scope="module")
def graphs(graph_of) -> list[ResourceGraph]:
    return [*(graph_of(preset, env) for preset, env in GRAPHS),
            build_graph("enterprise-assistant", "prod", overrides=OVERRIDES)]


@pytest.fixture(scope="module")
def releases(graphs) -> dict[str, list[ResourceRecord]]:
    """Chart key -> every Release of that chart in the covered graphs."""
    by_chart: dict[str, list[ResourceRecord]] = defaultdict(list)
    for graph in graphs:
        for record in graph.of_type(HELM_RELEASE):
            by_chart[chart_key(record.inputs)].append(record)
    return by_chart


def rendered(releases: dict[str, list[ResourceRecord]], key: str) -> Iterator[tuple[ResourceRecord, Rendered]]:
    for record in releases[key]:
        yield record, render_release(record)


def test_every_pinned_chart_is_emitted_and_covered(releases) -> None:
    assert set(releases) == set(CHARTS)


@pytest.mark.parametrize("key", sorted(CHARTS))
def test_release_renders_clean_with_its_pinned_chart(releases, key) -> None:
    for record, output in rendered(releases, key):
        assert output.warnings == (), f"{record.urn}: Helm disagrees with the values' shape"
        assert output.objects, record.urn
        assert output.problems() == [], record.urn


def _container(deployment: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name)


def _plugin(config: dict[str, Any], plugin_type: str) -> dict[str, Any]:
    return next(plugin for plugin in config["plugins"] if plugin["type"] == plugin_type)


def test_endpoint_picker_gets_real_flags_and_reads_the_engine_gauges(releases) -> None:
    for record, output in rendered(releases, "inferencepool"):
        model = record.inputs["name"]
        engine = ENGINES["trtllm-serve"]
        deployment = output.one("Deployment")
        args = _container(deployment, "epp")["args"]
        flags = [arg.removeprefix("--").split("=")[0] for arg in args if arg.startswith("--")]
        assert set(flags) <= EPP_FLAGS, f"{model}: flags the endpoint picker does not define"
        assert args[args.index("--pool-name") + 1] == model
        # The datalayer (EPP v1.5.0's default) scrapes what the chart's EndpointPickerConfig names.
        config = yaml.safe_load(output.one("ConfigMap")["data"]["default-plugins.yaml"])
        assert _plugin(config, "metrics-data-source")["parameters"]["path"] == engine.metrics_path
        default_engine = _plugin(config, "core-metrics-extractor")["parameters"]["defaultEngine"]
        assert EPP_ENGINE_GAUGES[default_engine] == (engine.waiting_metric, engine.kv_cache_metric)
        pool = output.one("InferencePool")
        assert pool["spec"]["targetPorts"] == [{"number": engine.port}]
        assert pool["spec"]["selector"]["matchLabels"] == {"blueprints.io/model": model}
        # Envoy reaches the picker through the pool's endpointPickerRef: a Service port that selects the picker's pod.
        picker, service = pool["spec"]["endpointPickerRef"], output.one("Service")
        assert picker["name"] == service["metadata"]["name"]
        assert picker["port"]["number"] in {port["port"] for port in service["spec"]["ports"]}
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod_labels.items()
        # What the model namespace's NetworkPolicy admits: the picker's gRPC port, on pods with the EPP label.
        assert {"name": "grpc", "containerPort": EPP_PORT} in _container(deployment, "epp")["ports"]
        assert picker["port"]["number"] == EPP_PORT and EPP_LABEL in pod_labels


POD_IDENTITY = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
RUNS_PODS = {"Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob",
             "Prometheus", "PrometheusAgent", "Alertmanager"}


def _service_accounts_used(item: dict[str, Any]) -> Iterator[str]:
    """serviceAccountName of a workload's pods (pod templates, or the operator's Prometheus/Alertmanager spec)."""
    spec = item.get("spec") or {}
    for pod in (spec, spec.get("template", {}).get("spec", {}),
                spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})):
        if pod.get("serviceAccountName"):
            yield pod["serviceAccountName"]


def test_pod_identities_name_service_accounts_the_charts_create_and_run(graphs) -> None:
    """Each EKS Pod Identity association for a chart's workload names a ServiceAccount the chart renders in that
    namespace, and pods of the chart run as it: otherwise the workload gets no AWS credentials."""
    checked = 0
    for graph in graphs:
        ours = {(r.region, r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"])
                for r in graph.of_type("kubernetes:core/v1:ServiceAccount")}
        created: set[tuple[str | None, str, str]] = set()
        running: set[tuple[str | None, str, str]] = set()
        for record in graph.of_type(HELM_RELEASE):
            for item in render_release(record).objects:
                namespace = item["metadata"].get("namespace") or record.inputs["namespace"]
                if item["kind"] == "ServiceAccount":
                    created.add((record.region, namespace, item["metadata"]["name"]))
                if item["kind"] in RUNS_PODS:
                    running |= {(record.region, namespace, name) for name in _service_accounts_used(item)}
        for association in graph.of_type(POD_IDENTITY):
            key = (association.region, association.inputs["namespace"], association.inputs["serviceAccount"])
            if key in ours:
                continue
            checked += 1
            assert key in created, f"{graph.stack}: {key} is no ServiceAccount any chart renders"
            assert key in running, f"{graph.stack}: no chart's pods run as {key}"
    assert checked


def _route_receivers(route: dict[str, Any]) -> Iterator[str]:
    yield route.get("receiver", "")
    for child in route.get("routes") or []:
        yield from _route_receivers(child)


def test_alertmanager_routes_only_to_defined_receivers(releases) -> None:
    configs = 0
    for record, output in rendered(releases, "kube-prometheus-stack"):
        secrets = [s for s in output.of_kind("Secret") if "alertmanager.yaml" in s.get("data", {})]
        if not record.inputs["values"]["alertmanager"]["enabled"]:
            assert secrets == []
            continue
        configs += 1
        (secret,) = secrets
        config = yaml.safe_load(base64.b64decode(secret["data"]["alertmanager.yaml"]))
        defined = {receiver["name"] for receiver in config["receivers"]}
        used = set(_route_receivers(config["route"])) - {""}
        assert used <= defined, f"{record.urn}: routes to undefined receivers {sorted(used - defined)}"
        assert config["route"]["receiver"] == "sns"
        assert config["inhibit_rules"], "the chart's inhibition rules survive"
    assert configs, "no preset renders an Alertmanager"


def _ports_in(config: dict[str, Any]) -> set[int]:
    """Ports the collector's receivers and extensions listen on (`host:port` endpoints)."""
    found: set[int] = set()
    for section in ("receivers", "extensions"):
        text = yaml.safe_dump(config.get(section) or {})
        found |= {int(port) for port in re.findall(r"endpoint: [^\s]*:(\d+)", text)}
    return found


def test_otel_collector_runs_only_the_platform_pipelines(releases) -> None:
    for record, output in rendered(releases, "opentelemetry-collector"):
        config_map = output.one("ConfigMap")
        config = yaml.safe_load(config_map["data"]["relay"])
        pipelines = config["service"]["pipelines"]
        assert set(pipelines) == {"traces"}, record.urn
        for pipeline in pipelines.values():
            assert set(pipeline["receivers"]) <= set(config["receivers"])
            assert set(pipeline["processors"]) <= set(config["processors"])
            assert set(pipeline["exporters"]) <= set(config["exporters"])
        assert set(config["receivers"]) == {"otlp"}
        assert set(config["exporters"]) == {"awsxray"}
        deployment = output.one("Deployment")
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        container_ports = {port["containerPort"] for port in container["ports"]}
        service_ports = {port["port"] for port in output.one("Service")["spec"]["ports"]}
        listening = _ports_in(config)
        # The chart's probes call the health_check extension, which must listen where they look.
        probes = {container[probe]["httpGet"]["port"] for probe in ("livenessProbe", "readinessProbe")}
        assert probes <= listening and container_ports == service_ports == listening - probes, record.urn
        # The address LiteLLM exports its traces to names this Service and one of its ports.
        collector = urlsplit(OTEL_COLLECTOR)
        assert collector.hostname.split(".")[:2] == [output.one("Service")["metadata"]["name"],
                                                     record.inputs["namespace"]]
        assert collector.port in service_ports


def _fluent_bit_sections(conf: str, name: str) -> list[dict[str, str]]:
    """`[NAME]` sections of a classic-mode fluent-bit.conf as key -> value (keys lower-cased: Fluent Bit ignores
    their case)."""
    sections: list[dict[str, str]] = []
    for line in conf.splitlines():
        line = line.strip()
        if line.startswith("["):
            sections.append({"[": line})
        elif line and not line.startswith("#") and sections:
            key, _, value = line.partition(" ")
            sections[-1][key.lower()] = value.strip()
    return [section for section in sections if section["["] == f"[{name}]"]


def test_fluent_bit_ships_to_the_platform_log_group_with_a_config_its_plugin_accepts(releases) -> None:
    for record, output in rendered(releases, "aws-for-fluent-bit"):
        conf = output.one("ConfigMap")["data"]["fluent-bit.conf"]
        (out,) = _fluent_bit_sections(conf, "OUTPUT")
        values = record.inputs["values"]["cloudWatchLogs"]
        assert out["name"] == "cloudwatch_logs"
        assert (out["region"], out["log_group_name"]) == (record.region, values["logGroupName"])
        # fluent/fluent-bit plugins/out_cloudwatch_logs/cloudwatch_logs.c (cb_cloudwatch_init): without exactly one
        # of log_stream_name and log_stream_prefix the plugin fails to start ("Either 'log_stream_name' or
        # 'log_stream_prefix' is required"), log_stream_template or not; auto_create_group defaults to false.
        assert len({"log_stream_name", "log_stream_prefix"} & set(out)) == 1, record.urn
        assert out.get("auto_create_group", "false").lower() in ("false", "off")


def test_envoy_gateway_reaches_the_ai_gateway_extension_and_owns_the_gateway_class(graphs) -> None:
    """Envoy Gateway's rendered config names the AI Gateway chart's rendered extension Service (host and port),
    and the controller name the program's GatewayClass asks for."""
    checked = 0
    for graph in graphs:
        for region in {r.region for r in graph.of_type(HELM_RELEASE)}:
            here = {chart_key(r.inputs): r for r in graph.of_type(HELM_RELEASE) if r.region == region}
            if "envoy-gateway" not in here:
                continue
            checked += 1
            gateway = render_release(here["envoy-gateway"])
            config = yaml.safe_load(gateway.one("ConfigMap")["data"]["envoy-gateway.yaml"])
            extension = config["extensionManager"]["service"]["fqdn"]
            name, namespace = extension["hostname"].split(".")[:2]
            services = {(s["metadata"]["name"], s["metadata"].get("namespace")): s
                        for s in render_release(here["envoy-ai-gateway"]).of_kind("Service")}
            ports = {port["port"] for port in services[(name, namespace)]["spec"]["ports"]}
            assert extension["port"] in ports
            classes = [r.inputs for r in graph.of_type("kubernetes:gateway.networking.k8s.io/v1:GatewayClass")
                       if r.region == region]
            assert [c["spec"]["controllerName"] for c in classes] == [config["gateway"]["controllerName"]]
    assert checked


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {env["name"]: env.get("value", "") for env in container.get("env") or []}


def test_karpenter_runs_against_this_regions_cluster_and_interruption_queue(graphs) -> None:
    checked = 0
    for graph in graphs:
        for record in graph.of_type(HELM_RELEASE):
            if chart_key(record.inputs) != "karpenter":
                continue
            checked += 1
            env = _env(_container(render_release(record).one("Deployment"), "controller"))
            clusters = {r.outputs.get("name") or r.inputs["name"] for r in graph.of_type("aws:eks/cluster:Cluster")
                        if r.region == record.region}
            # The queue EventBridge delivers the interruption events to (spot, rebalance, health, state rules).
            targets = {r.inputs["arn"] for r in graph.of_type("aws:cloudwatch/eventTarget:EventTarget")}
            queues = {r.outputs.get("name") for r in graph.of_type("aws:sqs/queue:Queue")
                      if r.region == record.region and r.outputs.get("arn") in targets}
            assert env["CLUSTER_NAME"] in clusters and env["INTERRUPTION_QUEUE"] in queues, record.urn
    assert checked


def test_load_balancer_controller_runs_against_this_regions_cluster_and_vpc(graphs) -> None:
    checked = 0
    for graph in graphs:
        for record in graph.of_type(HELM_RELEASE):
            if chart_key(record.inputs) != "aws-load-balancer-controller":
                continue
            checked += 1
            container = _container(render_release(record).one("Deployment"), "aws-load-balancer-controller")
            args = dict(arg.removeprefix("--").split("=", 1) for arg in container["args"])
            (cluster,) = [r.inputs["name"] for r in graph.of_type("aws:eks/cluster:Cluster")
                          if r.region == record.region]
            (vpc,) = [r.outputs["id"] for r in graph.of_type("aws:ec2/vpc:Vpc") if r.region == record.region]
            assert (args["cluster-name"], args["aws-region"], args["aws-vpc-id"]) == (cluster, record.region, vpc)
    assert checked


def test_gpu_operator_dcgm_exporter_reads_the_platform_metrics_list(graphs) -> None:
    """The ClusterPolicy's dcgmExporter config names the ConfigMap the program creates beside the release."""
    checked = 0
    for graph in graphs:
        config_maps = {(r.region, r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"])
                       for r in graph.of_type("kubernetes:core/v1:ConfigMap")}
        for record in graph.of_type(HELM_RELEASE):
            if chart_key(record.inputs) != "gpu-operator":
                continue
            checked += 1
            policy = render_release(record).one("ClusterPolicy")
            name = policy["spec"]["dcgmExporter"]["config"]["name"]
            assert (record.region, record.inputs["namespace"], name) in config_maps, record.urn
    assert checked


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A label selector as the Prometheus operator reads it; nil selects nothing (a namespace selector: only its
    own namespace), `{}` selects everything."""
    if selector is None:
        return False
    return selector.get("matchLabels", {}).items() <= labels.items() and not selector.get("matchExpressions")


MONITORS = {"PrometheusRule": "rule", "ServiceMonitor": "serviceMonitor", "PodMonitor": "podMonitor"}


def test_prometheus_and_grafana_pick_up_every_rule_monitor_and_dashboard_the_program_makes(graphs) -> None:
    checked = 0
    for graph in graphs:
        for record in graph.of_type(HELM_RELEASE):
            if chart_key(record.inputs) != "kube-prometheus-stack":
                continue
            output = render_release(record)
            objects = [kubernetes_object(r) for r in graph.resources
                       if r.type.startswith("kubernetes:") and r.type != HELM_RELEASE and r.region == record.region]
            (server,) = output.of_kind("Prometheus") or output.of_kind("PrometheusAgent")
            for kind, field in MONITORS.items():
                for item in (o for o in objects if o.get("kind") == kind):
                    checked += 1
                    if kind == "PrometheusRule" and server["kind"] == "PrometheusAgent":
                        continue  # the agent evaluates no rules: AMP does (rule-group namespaces)
                    where = f"{record.urn}: {kind} {item['metadata']['name']}"
                    assert _selects(server["spec"].get(f"{field}Selector"), item["metadata"].get("labels", {})), where
                    assert server["spec"].get(f"{field}NamespaceSelector") == {}, where
            sidecars = [c for d in output.of_kind("Deployment") for c in d["spec"]["template"]["spec"]["containers"]
                        if c["name"] == "grafana-sc-dashboard"]
            dashboards = [o for o in objects if o.get("kind") == "ConfigMap"
                          and (o["metadata"].get("annotations") or {}).get(ARTIFACT_ANNOTATION) == "grafana-dashboard"]
            if not record.inputs["values"]["grafana"]["enabled"]:
                assert sidecars == []
                continue
            (sidecar,) = sidecars
            env = _env(sidecar)
            assert dashboards and env["NAMESPACE"] == "ALL"
            for board in dashboards:
                checked += 1
                assert board["metadata"]["labels"].get(env["LABEL"]) == env["LABEL_VALUE"]
                assert env["FOLDER_ANNOTATION"] in board["metadata"]["annotations"]
    assert checked


EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"


def test_qdrant_reads_its_api_key_from_the_synced_secret_at_start(graphs) -> None:
    """The chart's `apiKey.valueFrom` copies the key with `lookup` at install time: empty offline, and empty in a
    cluster whenever External Secrets has not synced yet, which starts Qdrant without authentication. The key must
    reach the container from the synced Secret itself: qdrant reads `service.api_key` from QDRANT__SERVICE__API_KEY
    (qdrant/qdrant src/settings.rs, Environment::with_prefix("QDRANT").separator("__"))."""
    checked = 0
    for graph in graphs:
        synced = {(r.inputs["metadata"]["namespace"], r.inputs["spec"]["target"]["name"], item["secretKey"])
                  for r in graph.of_type(EXTERNAL_SECRET) for item in r.inputs["spec"].get("data") or []}
        for record in graph.of_type(HELM_RELEASE):
            if chart_key(record.inputs) != "qdrant":
                continue
            checked += 1
            container = _container(render_release(record).one("StatefulSet"), "qdrant")
            (api_key,) = [env for env in container["env"] if env["name"] == "QDRANT__SERVICE__API_KEY"]
            ref = api_key["valueFrom"]["secretKeyRef"]
            assert (record.inputs["namespace"], ref["name"], ref["key"]) in synced
    assert checked


def test_helm_warnings_are_caught() -> None:
    """The inferencepool chart's `inferenceExtension.flags` is a map: a list cannot be merged into it."""
    output = render_chart("inferencepool", {"inferencePool": {"modelServers": {"matchLabels": {"app": "x"}}},
                                            "inferenceExtension": {"flags": [{"name": "v", "value": "2"}]}},
                          "probe", "models")
    assert any("cannot overwrite table with non table" in warning for warning in output.warnings)


def test_a_disabled_subchart_does_not_stay_disabled_for_the_next_render() -> None:
    """Helm drops disabled subcharts from the chart it renders: each render must start from the archive."""
    for enabled in (False, True):
        output = render_chart("kube-prometheus-stack", {"grafana": {"enabled": enabled}}, "probe", "monitoring")
        grafana = [d for d in output.of_kind("Deployment") if d["metadata"]["name"] == "probe-grafana"]
        assert len(grafana) == int(enabled)


def test_values_the_chart_schema_rejects_fail() -> None:
    """opentelemetry-collector's values.schema.json allows only the collector's deployment modes."""
    with pytest.raises(helm_python.HelmError):
        render_chart("opentelemetry-collector", {"mode": "sideways"}, "probe", "monitoring")
