"""The Observability component: rules as PrometheusRules (or AMP rule groups), monitors, dashboards, logs, traces."""

from __future__ import annotations

import json

import pytest
import yaml

from blueprints.engine.graph import ResourceRecord
from blueprints.errors import BlueprintError
from blueprints.observability import dcgm
from blueprints.observability.rules import rule_files
from blueprints.observability.tracing import GENAI_CONTENT
from blueprints.presets import load_spec
from blueprints.render import artifacts
from tests.conftest import EKS_PRESETS
from tests.observability.promtool import run
from tests.support.schemas import validate_manifest

RELEASE = "kubernetes:helm.sh/v3:Release"


def of_type(graph, type_: str) -> list[ResourceRecord]:
    return [record for record in graph.resources if record.type == type_]


def release(graph, chart: str) -> list[ResourceRecord]:
    return [record for record in of_type(graph, RELEASE) if record.inputs["name"] == chart]


def manifest(record: ResourceRecord) -> dict:
    keys = ("apiVersion", "kind", "metadata", "spec", "data")
    return {key: record.inputs[key] for key in keys if key in record.inputs}


@pytest.mark.parametrize("preset", EKS_PRESETS)
def test_monitoring_objects_validate_against_the_upstream_schemas(graph_of, preset):
    graph = graph_of(preset, "prod")
    objects = [manifest(r) for r in graph.resources if r.type in (
        "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "kubernetes:monitoring.coreos.com/v1:PodMonitor")]
    dashboards = [manifest(r) for r in of_type(graph, "kubernetes:core/v1:ConfigMap")
                  if r.inputs["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    assert objects and dashboards
    assert [problem for obj in [*objects, *dashboards] for problem in validate_manifest(obj)] == []
    for board in dashboards:
        assert board["metadata"]["annotations"]["blueprints.io/artifact-kind"] == "grafana-dashboard"
        assert all(json.loads(text)["uid"] for text in board["data"].values())


def test_rendered_rule_files_are_the_generated_ones_and_pass_promtool(graph_of, tmp_path):
    graph = graph_of("regulated-industry", "prod")
    files = [(artifact, content) for artifact, content in artifacts(graph).values()
             if artifact.kind == "prometheus-rules"]
    spec = load_spec("regulated-industry", "prod")
    assert len(files) == len(rule_files(spec)) * len(spec.regions)
    paths = []
    for index, (_artifact, content) in enumerate(files):
        path = tmp_path / f"{index}.rules.yaml"
        path.write_text(content)
        paths.append(path)
    result = run("check", "rules", *paths, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kube_prometheus_stack_selects_every_rule_and_monitor_and_alerts_to_sns(graph_of):
    (stack,) = release(graph_of("internal-ai", "prod"), "kube-prometheus-stack")
    values = stack.inputs["values"]
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["retention"] == "15d" and spec["replicas"] == 2
    assert not any(spec[f"{kind}SelectorNilUsesHelmValues"] for kind in ("rule", "serviceMonitor", "podMonitor"))
    assert values["prometheus"]["agentMode"] is False and values["grafana"]["enabled"] is True
    receiver = next(r for r in values["alertmanager"]["config"]["receivers"] if r["name"] == "sns")
    assert receiver["sns_configs"][0]["topic_arn"].startswith("arn:aws:sns:")


def test_managed_stack_is_an_agent_writing_to_amp_which_evaluates_the_rules(graph_of, tmp_path):
    graph = graph_of("enterprise-assistant", "prod")
    spec = load_spec("enterprise-assistant", "prod")
    (workspace,) = of_type(graph, "aws:amp/workspace:Workspace")
    assert workspace.inputs["kmsKeyArn"].startswith("arn:aws:kms:")
    (config,) = of_type(graph, "aws:amp/workspaceConfiguration:WorkspaceConfiguration")
    assert config.inputs["retentionPeriodInDays"] == spec.observability.metrics_retention_days
    namespaces = of_type(graph, "aws:amp/ruleGroupNamespace:RuleGroupNamespace")
    assert sorted(r.inputs["name"] for r in namespaces) == sorted(f.removesuffix(".rules.yaml")
                                                                 for f in rule_files(spec))
    assert not of_type(graph, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    paths = []
    for record in namespaces:
        path = tmp_path / f"{record.inputs['name']}.rules.yaml"
        path.write_text(record.inputs["data"])
        paths.append(path)
    assert run("check", "rules", *paths, cwd=tmp_path).returncode == 0
    (definition,) = of_type(graph, "aws:amp/alertManagerDefinition:AlertManagerDefinition")
    assert "sns_configs" in yaml.safe_load(definition.inputs["definition"])["alertmanager_config"]
    (grafana,) = of_type(graph, "aws:grafana/workspace:Workspace")
    assert grafana.inputs["dataSources"] == ["PROMETHEUS", "XRAY"]
    (stack,) = release(graph, "kube-prometheus-stack")
    values = stack.inputs["values"]
    assert values["prometheus"]["agentMode"] is True and values["alertmanager"]["enabled"] is False
    (remote,) = values["prometheus"]["prometheusSpec"]["remoteWrite"]
    assert remote["url"].endswith("/api/v1/remote_write") and remote["sigv4"] == {"region": "us-east-1"}


def test_fluent_bit_ships_to_a_kms_log_group_with_the_spec_retention(graph_of):
    for env in ("dev", "prod"):
        graph = graph_of("saas", env)
        spec = load_spec("saas", env)
        groups = {r.inputs["name"]: r for r in of_type(graph, "aws:cloudwatch/logGroup:LogGroup")
                  if r.inputs["name"].endswith("/containers")}
        assert len(groups) == len(spec.regions)
        for group in groups.values():
            assert group.inputs["retentionInDays"] == spec.observability.log_retention_days
            assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
        for shipper in release(graph, "aws-for-fluent-bit"):
            logs = shipper.inputs["values"]["cloudWatchLogs"]
            assert logs["logGroupName"] in groups and logs["autoCreateGroup"] is False


def test_tracing_collector_exports_to_xray_and_drops_prompt_text(graph_of):
    assert not release(graph_of("startup-mvp", "prod"), "opentelemetry-collector")
    (collector,) = release(graph_of("regulated-industry", "dev"), "opentelemetry-collector")
    config = collector.inputs["values"]["alternateConfig"]
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline["exporters"] == ["awsxray"] and "attributes/genai-content" in pipeline["processors"]
    dropped = {action["key"] for action in config["processors"]["attributes/genai-content"]["actions"]}
    assert dropped == set(GENAI_CONTENT)
    assert "gen_ai.request.model" in config["exporters"]["awsxray"]["indexed_attributes"]


def test_dcgm_exporter_collects_health_and_profiling_counters(graph_of):
    graph = graph_of("regulated-industry", "prod")
    for operator in release(graph, "gpu-operator"):
        assert operator.inputs["values"]["dcgmExporter"]["config"]["name"] == dcgm.CONFIGMAP
    (configmap, *_) = [r for r in of_type(graph, "kubernetes:core/v1:ConfigMap")
                       if r.inputs["metadata"]["name"] == dcgm.CONFIGMAP]
    assert validate_manifest(manifest(configmap)) == []
    csv = configmap.inputs["data"][dcgm.FILE]
    for field in ("DCGM_FI_DEV_XID_ERRORS", "DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_FB_USED", "DCGM_FI_PROF_SM_ACTIVE",
                  "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"):
        assert f"{field}, " in csv


def test_pod_identities_grant_only_what_each_agent_writes(graph_of):
    policies = {r.name: json.loads(r.inputs["policy"]) for r in
                of_type(graph_of("enterprise-assistant", "prod"), "aws:iam/rolePolicy:RolePolicy")}
    fluent = next(p for name, p in policies.items() if name.endswith("-fluent-bit"))
    assert {a for s in fluent["Statement"] for a in s["Action"]} == {
        "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"}
    prometheus = next(p for name, p in policies.items() if name.endswith("-prometheus"))
    assert [s["Action"] for s in prometheus["Statement"]] == [["aps:RemoteWrite"]]


@pytest.mark.parametrize(("override", "message"), [
    ({"observability": {"alert_emails": ["ops"]}},
     "overrides.observability.alert_emails: 'ops' is not an e-mail address (allowed: name@example.com)"),
    ({"budget": {"alert_thresholds_percent": []}},
     "overrides.budget.alert_thresholds_percent: at least one threshold is required "
     "(allowed: 1..1000, e.g. [80, 100])"),
    ({"budget": {"alert_thresholds_percent": [80, 80]}},
     "overrides.budget.alert_thresholds_percent: thresholds are listed twice: [80, 80]"),
    ({"budget": {"alert_thresholds_percent": [0]}},
     "overrides.budget.alert_thresholds_percent: threshold 0 is out of range (allowed: 1..1000)"),
])
def test_bad_observability_and_budget_input_is_refused_with_the_path(override, message):
    with pytest.raises(BlueprintError) as error:
        load_spec("saas", "dev", overrides=override)
    assert message in str(error.value)
