"""Every PromQL expression the platform generates reads only series an exporter emits (blueprints.catalog.metrics,
from upstream source) or its own recording rules define, with labels those series really have.

The expressions come from the rendered artifacts of every preset x environment (rule files, dashboards, KEDA
ScaledObjects: anything with PromQL in it) plus the rollout gates' queries; each is parsed with promql-parser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import yaml

from blueprints.catalog import metrics as m
from blueprints.catalog.metrics import prometheus_label
from blueprints.gateway.litellm_config import litellm_config
from blueprints.observability import series
from blueprints.operations.metrics import GATED_ENGINES, PrometheusQueries
from blueprints.presets import load_spec
from blueprints.render import artifacts
from blueprints.rollout import version_plans
from blueprints.serving.manifests import MODEL_LABEL, VERSION_LABEL
from tests.conftest import PRESET_ENVS

KNOWN = series.exported_series()


def _documents(content: str) -> list[Any]:
    try:
        return [json.loads(content)]
    except ValueError:
        pass
    try:
        return [document for document in yaml.safe_load_all(content) if document is not None]
    except yaml.YAMLError:
        return []


def _promql(node: Any, where: str) -> Iterator[tuple[str, str]]:
    """(where, expression) for every PromQL in a document: rule and panel `expr`s, KEDA prometheus triggers."""
    if isinstance(node, dict):
        if node.get("type") == "prometheus" and isinstance(node.get("metadata"), dict) and "query" in node["metadata"]:
            yield f"{where} trigger {node.get('name')}", node["metadata"]["query"]
        if isinstance(node.get("expr"), str):
            yield f"{where} {node.get('record') or node.get('alert') or node.get('refId', '')}", node["expr"]
        for value in node.values():
            yield from _promql(value, where)
    elif isinstance(node, list):
        for item in node:
            yield from _promql(item, where)
    elif isinstance(node, str) and "\n" in node and ("expr" in node or "query" in node):
        for document in _documents(node):  # a rule file or dashboard inside a ConfigMap or AMP resource
            yield from _promql(document, where)


def _rendered(graph: Any) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The rendered rule files, and every (where, expression) of every rendered file."""
    rule_files, expressions = [], []
    for path, (artifact, content) in artifacts(graph).items():
        documents = _documents(content)
        if artifact.kind == "prometheus-rules":
            rule_files += documents
        for document in documents:
            expressions += list(_promql(document, path))
    return rule_files, sorted(set(expressions))


def _gate_queries(spec: Any) -> list[tuple[str, str]]:
    queries = PrometheusQueries()
    return [(f"rollout gate {name} of {model.name} {plan.version}",
             queries.render(name, model.name, plan.version, timedelta(minutes=10)))
            for model in spec.self_hosted_models for plan in version_plans(spec, model)
            for name in ("requests", "error_ratio", "ttft_p95_ms", "tpot_p95_ms")
            if spec.serving.engine in GATED_ENGINES]


def _problems(spec: Any, graph: Any) -> list[str]:
    """Every problem of every PromQL the platform of `spec` (its graph) generates, against its own exporters."""
    rule_files, expressions = _rendered(graph)
    if spec.runtime == "fargate":  # no Prometheus: the task's metrics and logs go to CloudWatch
        assert (rule_files, expressions) == ([], [])
        return []
    expressions += _gate_queries(spec)
    assert rule_files, "no rule files rendered"
    wheres = " ".join(where for where, _ in expressions)
    assert "prometheus/" in wheres and "grafana-dashboard/" in wheres  # rule files and dashboards
    if spec.self_hosted_models:
        assert "trigger waiting-requests" in wheres
        assert ("rollout gate" in wheres) == (spec.serving.engine in GATED_ENGINES)
    known = series.with_recorded(rule_files, series.exported_series(spec))
    return [f"{where}: {problem}" for where, expr in expressions
            for problem in series.problems(expr.replace("$__rate_interval", "5m").replace("$model", ".+"), known)]


@pytest.mark.parametrize(("preset", "env"), PRESET_ENVS)
def test_every_generated_promql_reads_catalog_or_recorded_series(graph_of, preset, env):
    problems = _problems(load_spec(preset, env), graph_of(preset, env))
    assert not problems, "\n".join(problems)


def test_the_triton_variant_reads_only_what_triton_emits(graph_of):
    """No preset runs Triton; with `serving.engine: triton` nothing may read trtllm-serve's series."""
    overrides = {"serving": {"engine": "triton"}}
    problems = _problems(load_spec("internal-ai", "prod", overrides=overrides),
                         graph_of("internal-ai", "prod", overrides=overrides))
    assert not problems, "\n".join(problems)


def test_the_checker_names_unknown_series_and_labels():
    known = series.with_recorded([{"groups": [{"name": "g", "rules": [
        {"record": "job:up:sum", "expr": f"sum by (nodepool) ({m.KARPENTER_NODEPOOL_USAGE})", "labels": {"a": "b"}},
    ]}]}], KNOWN)
    assert series.problems("litellm_deployment_total_requests{model=\"x\"}", known) == [
        "litellm_deployment_total_requests: no exporter of the platform emits it and no recording rule defines it"]
    assert series.problems(f'{m.TRTLLM_TTFT}_bucket{{model="x"}}', known) == [
        f'{m.TRTLLM_TTFT}_bucket{{model...}}: {m.TRTLLM_TTFT}_bucket has no label \'model\'']
    assert series.problems(f"sum by (model) ({m.TRTLLM_REQUESTS_WAITING})", known) == [
        "sum by/without (model): the input has no label 'model'"]
    assert series.problems(f"histogram_quantile(0.9, sum by (pod) (rate({m.TRTLLM_TTFT}_bucket[5m])))", known) == [
        "histogram_quantile: the input has no label 'le'"]
    assert series.problems(f"{m.KEDA_SCALER_ERRORS} / on (le) {m.KARPENTER_NODEPOOL_LIMIT}", known) == [
        "/ on (le) (left side): the input has no label 'le'", "/ on (le) (right side): the input has no label 'le'"]
    assert series.problems('job:up:sum{a="b",nodepool="x"} and on (nodepool) job:up:sum', known) == []
    assert series.problems('job:up:sum{resource_type="x"}', known) == [
        "job:up:sum{resource_type...}: job:up:sum has no label 'resource_type'"]
    assert series.problems("sum(", known)[0].startswith("does not parse")


def test_scrape_relabelling_shapes_the_stored_labels():
    # PodMonitor target labels win collisions: KEDA's own `namespace` is stored as `exported_namespace`.
    assert KNOWN[m.KEDA_SCALER_ERRORS].has("exported_namespace") and KNOWN[m.KEDA_SCALER_ERRORS].has("namespace")
    # kube-state-metrics' ServiceMonitor honours its labels; its node labels are the allowlisted ones only.
    assert KNOWN[m.KSM_NODE_LABELS].has("label_karpenter_sh_capacity_type")
    assert not KNOWN[m.KSM_NODE_LABELS].has("label_topology_kubernetes_io_zone")
    assert not KNOWN[m.KSM_NODE_LABELS].has("exported_node")
    # Only the DCGM fields the platform's counters list enables are there.
    assert m.DCGM_ECC_DBE in KNOWN and "DCGM_FI_DEV_ECC_SBE_AGG_TOTAL" not in KNOWN


def test_model_server_labels_are_the_podmonitors_pod_target_labels(graph_of):
    """What the rules, dashboards, KEDA triggers and gates call the model and version of a server series is what
    prometheus-operator makes of the pod labels its PodMonitor copies."""
    graph = graph_of("regulated-industry", "prod")
    monitors = [r.inputs for r in graph.of_type("kubernetes:monitoring.coreos.com/v1:PodMonitor")
                if r.inputs["metadata"].get("namespace") == "models"]
    assert monitors
    for monitor in monitors:
        labels = {prometheus_label(label) for label in monitor["spec"]["podTargetLabels"]}
        assert labels == {series.SERVED_MODEL_LABEL, series.SERVED_VERSION_LABEL}
    pod_labels = tuple(prometheus_label(label) for label in (MODEL_LABEL, VERSION_LABEL))
    assert pod_labels == (series.SERVED_MODEL_LABEL, series.SERVED_VERSION_LABEL)


@pytest.mark.parametrize(("preset", "env"), [("internal-ai", "prod"), ("regulated-industry", "prod")])
def test_gate_selects_the_deployment_litellm_routes_to_each_version(preset, env):
    """The gate's gateway matchers pick exactly the LiteLLM deployment (its api_base) of the version judged."""
    spec = load_spec(preset, env)
    queries = PrometheusQueries()
    config = litellm_config(spec, spec.regions[0])
    for model in spec.self_hosted_models:
        bases = {entry["model_info"]["version"]: entry["litellm_params"]["api_base"]
                 for entry in config["model_list"] if entry["model_name"] == model.name}
        for version in bases:
            matchers = queries.gateway.format(model=model.name, version=version)
            pattern = re.search(r'api_base=~"(.+)"', matchers)[1]
            matching = {v for v, b in bases.items() if re.fullmatch(pattern, b)}
            assert matching == {version}, (model.name, version, bases)


def test_kube_state_metrics_copies_the_node_labels_the_cost_rules_read(graph_of):
    """The kube-prometheus-stack release's metricLabelsAllowlist names the node labels the catalog allows."""
    release = next(r.inputs for r in graph_of("saas", "prod").of_type("kubernetes:helm.sh/v3:Release")
                   if r.inputs["chart"].endswith("kube-prometheus-stack"))
    [allowlist] = release["values"]["kube-state-metrics"]["metricLabelsAllowlist"]
    keys = re.fullmatch(r"nodes=\[(.+)\]", allowlist)[1].split(",")
    assert {series.ksm_node_label(key) for key in keys} == {
        "label_node_kubernetes_io_instance_type", "label_karpenter_sh_capacity_type", "label_karpenter_sh_nodepool"}
