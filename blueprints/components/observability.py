"""Metrics, alerts, dashboards, logs and traces of one region.

- `observability.stack: kube-prometheus`: kube-prometheus-stack (Prometheus, Alertmanager -> SNS, Grafana with the
  generated dashboards), the generated rules as PrometheusRules.
- `observability.stack: managed`: the same chart as a Prometheus agent remote-writing (SigV4, pod identity) to an
  Amazon Managed Prometheus workspace that evaluates the rules (rule-group namespaces) and alerts to SNS; Amazon
  Managed Grafana reads it.
Both: PodMonitors for the gateway, KEDA and Karpenter; Fluent Bit shipping container logs to a KMS-encrypted
CloudWatch log group with retention; with `observability.tracing`, an OpenTelemetry collector exporting to X-Ray.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import yaml

from blueprints.components.cluster import SYSTEM_NODE_LABEL
from blueprints.components.helm import chart_release
from blueprints.components.iam import PodIdentity, allow, deny_plain_http, service_trust
from blueprints.components.keys import key_policy
from blueprints.observability.dashboards import dashboards
from blueprints.observability.monitors import NAMESPACE, pod_monitor, prometheus_rule, scrape_targets
from blueprints.observability.rules import rule_files
from blueprints.observability.series import KSM_NODE_LABEL_KEYS, retrieval_service
from blueprints.observability.tracing import collector_config
from blueprints.spec import PlatformSpec
from blueprints.versions import IMAGES

if TYPE_CHECKING:
    from blueprints.context import RegionContext

RELEASE = "kube-prometheus-stack"
PROMETHEUS_SA = f"{RELEASE}-prometheus"
ALERTMANAGER_SA = f"{RELEASE}-alertmanager"
LOGGING_NAMESPACE = "logging"
FLUENT_BIT_SA = "aws-for-fluent-bit"
COLLECTOR_SA = "otel-collector"
DASHBOARD_FOLDER = "LLM platform"
ARTIFACT_ANNOTATION = "blueprints.io/artifact-kind"
ALERT_PUBLISHERS = ("aps.amazonaws.com", "budgets.amazonaws.com", "cloudwatch.amazonaws.com",
                    "costalerts.amazonaws.com")
"""AWS services that publish to an alert topic: AMP's alert manager, AWS Budgets, CloudWatch alarms (the
gateway's `gateway-unhealthy`), Cost Anomaly Detection."""
KMS_USE = ("kms:Decrypt", "kms:GenerateDataKey*")
AMP_QUERY = ("aps:GetLabels", "aps:GetMetricMetadata", "aps:GetSeries", "aps:QueryMetrics")
XRAY_WRITE = ("xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords",
              "xray:PutTraceSegments")
XRAY_READ = ("xray:BatchGetTraces", "xray:GetServiceGraph", "xray:GetTraceGraph", "xray:GetTraceSummaries")
SYSTEM_POD = {"nodeSelector": SYSTEM_NODE_LABEL}
ALL_NODES = [{"operator": "Exists"}]
"""Log shippers run on every node, GPU nodes (tainted) included."""


class AlertTopic(pulumi.ComponentResource):
    """An SNS topic that the alerting AWS services may publish to, encrypted with its own CMK when `encrypted`
    (secrets.customer_managed_keys). Without it the topic is unencrypted: SNS's AWS-managed key (aws/sns) admits no
    service principal, so CloudWatch alarms and Budgets could not publish to a topic encrypted with it."""

    def __init__(self, name: str, account_id: pulumi.Input[str], emails: Sequence[str], encrypted: bool,
                 opts: pulumi.ResourceOptions):
        super().__init__("blueprints:observability:AlertTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        services = {"Service": list(ALERT_PUBLISHERS)}
        source = {"StringEquals": {"aws:SourceAccount": account_id}}
        self.key = aws.kms.Key(name, description=f"{name} alert notifications", enable_key_rotation=True,
                               deletion_window_in_days=30, policy=key_policy(account_id, [
                                   {"Sid": "AlertingServicesEncrypt", "Effect": "Allow", "Principal": services,
                                    "Action": list(KMS_USE), "Resource": "*", "Condition": source},
                               ]), opts=child) if encrypted else None
        self.topic = aws.sns.Topic(name, name=name, kms_master_key_id=self.key.arn if self.key else None,
                                   opts=child)
        aws.sns.TopicPolicy(name, arn=self.topic.arn, policy=pulumi.Output.json_dumps({
            "Version": "2012-10-17", "Statement": [
                deny_plain_http("sns:Publish", [self.topic.arn]),
                {"Sid": "AlertingServicesPublish", "Effect": "Allow", "Principal": services,
                 "Action": "sns:Publish", "Resource": self.topic.arn, "Condition": source},
            ]}), opts=child)
        for index, email in enumerate(emails):
            aws.sns.TopicSubscription(f"{name}-{index}", topic=self.topic.arn, protocol="email", endpoint=email,
                                      opts=child)
        self.arn = self.topic.arn
        self.register_outputs({"topic_arn": self.topic.arn})

    def publisher(self) -> list[dict[str, Any]]:
        """IAM statements that let a workload publish to this topic."""
        return [allow(["sns:Publish"], [self.topic.arn]), *([allow(KMS_USE, [self.key.arn])] if self.key else [])]


def _container_security() -> dict[str, Any]:
    return {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def sns_receiver(topic_arn: pulumi.Input[str], region: str) -> dict[str, Any]:
    return {"name": "sns", "sns_configs": [{"topic_arn": topic_arn, "sigv4": {"region": region},
                                            "subject": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}"}]}


ALERT_ROUTE = {"receiver": "sns", "group_by": ["alertname", "model", "severity"], "group_wait": "30s",
               "group_interval": "5m", "repeat_interval": "4h"}
DISCARD = "discard"


def in_cluster_alert_config(topic_arn: pulumi.Input[str], region: str) -> dict[str, Any]:
    """kube-prometheus-stack's Alertmanager config. Helm merges it into the chart's default, whose route has a child
    route for the always-firing Watchdog (the chart's default rules) to a receiver "null" that our `receivers`
    replace: `routes` is given so that no default route survives, and Watchdog is discarded as the chart intends."""
    watchdog = {"receiver": DISCARD, "matchers": ['alertname = "Watchdog"']}
    return {"route": {**ALERT_ROUTE, "routes": [watchdog]},
            "receivers": [sns_receiver(topic_arn, region), {"name": DISCARD}]}


def kube_prometheus_values(spec: PlatformSpec, region: str, topic_arn: pulumi.Input[str],
                           remote_write_url: pulumi.Input[str] | None) -> dict[str, Any]:
    """kube-prometheus-stack: a full in-cluster stack, or (remote_write_url given) a Prometheus agent for AMP."""
    replicas = 2 if spec.environment == "prod" else 1
    prometheus_spec: dict[str, Any] = {
        "replicas": replicas,
        "retention": f"{spec.observability.metrics_retention_days}d",
        # Select every PrometheusRule, ServiceMonitor and PodMonitor, whichever release or namespace made it.
        "ruleSelectorNilUsesHelmValues": False,
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
        "storageSpec": {"volumeClaimTemplate": {"spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": f"{spec.observability.metrics_volume_gib}Gi"}}}}},
        "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "8Gi"}},
        **SYSTEM_POD,
    }
    managed = remote_write_url is not None
    if managed:
        prometheus_spec["remoteWrite"] = [{"url": remote_write_url, "sigv4": {"region": region}}]
    return {
        "crds": {"enabled": True},
        "prometheusOperator": {**SYSTEM_POD},
        "prometheus": {"agentMode": managed, "serviceAccount": {"name": PROMETHEUS_SA},
                       "prometheusSpec": prometheus_spec},
        "alertmanager": {
            "enabled": not managed,
            "serviceAccount": {"name": ALERTMANAGER_SA},
            "alertmanagerSpec": {"replicas": replicas, **SYSTEM_POD},
            "config": in_cluster_alert_config(topic_arn, region),
        },
        "grafana": {
            "enabled": not managed,
            **SYSTEM_POD,
            "sidecar": {"dashboards": {"enabled": True, "label": "grafana_dashboard", "labelValue": "1",
                                       "searchNamespace": "ALL", "folderAnnotation": "grafana_folder",
                                       "provider": {"foldersFromFilesStructure": True}}},
        },
        # Node labels the cost rules price nodes by.
        "kube-state-metrics": {
            **SYSTEM_POD,
            "metricLabelsAllowlist": [f"nodes=[{','.join(KSM_NODE_LABEL_KEYS)}]"],
        },
        "prometheus-node-exporter": {"tolerations": ALL_NODES},
    }


def fluent_bit_values(region: str, log_group: pulumi.Input[str]) -> dict[str, Any]:
    """aws-for-fluent-bit: every container's log lines into one pre-created (KMS, retention) log group."""
    return {
        "cloudWatchLogs": {
            "enabled": True, "region": region, "logGroupName": log_group, "logGroupTemplate": "",
            # The stream is named by the template; records it cannot resolve go to `fallback-<tag>`. Fluent Bit's
            # cloudwatch_logs refuses to start without a log_stream_prefix (or _name), template or not.
            "logStreamPrefix": "fallback-",
            "logStreamTemplate": "$kubernetes['namespace_name'].$kubernetes['pod_name'].$kubernetes['container_name']",
            "autoCreateGroup": False,
        },
        "cloudWatch": {"enabled": False},
        "firehose": {"enabled": False},
        "kinesis": {"enabled": False},
        "elasticsearch": {"enabled": False},
        "serviceAccount": {"create": True, "name": FLUENT_BIT_SA},
        "serviceMonitor": {"enabled": True},
        "tolerations": ALL_NODES,
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
    }


UNUSED_COLLECTOR_PORTS = ("jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin")
"""The chart's default ports (opentelemetry-collector 0.158.2 values.yaml) for receivers this platform does not run."""


def collector_values(spec: PlatformSpec, region: str) -> dict[str, Any]:
    """opentelemetry-collector chart: a Deployment of the contrib image (it has the X-Ray exporter)."""
    image = IMAGES["otel-collector-contrib"]
    return {
        "mode": "deployment",
        "replicaCount": 2 if spec.environment == "prod" else 1,
        "image": {"repository": image.repository, "tag": image.tag,
                  "digest": spec.images.get("otel-collector-contrib", image.digest)},
        "serviceAccount": {"create": True, "name": COLLECTOR_SA},
        # `config` would be merged into the chart's default (jaeger/zipkin/prometheus receivers, logs and metrics
        # pipelines to `debug`), and Pulumi drops the nulls that would delete them: `alternateConfig` replaces it.
        "alternateConfig": collector_config(spec, region),
        "ports": {name: {"enabled": False} for name in UNUSED_COLLECTOR_PORTS},
        "resources": {"requests": {"cpu": "200m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
        "securityContext": _container_security(),
        **SYSTEM_POD,
    }


def dashboard_configmap(file: str, board: dict[str, Any]) -> dict[str, Any]:
    name = f"dashboard-{file.removesuffix('.json')}"
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {
            "name": name, "namespace": NAMESPACE,
            "labels": {"grafana_dashboard": "1", "app.kubernetes.io/name": name,
                       "app.kubernetes.io/part-of": "llm-platform", "app.kubernetes.io/component": "dashboards"},
            "annotations": {ARTIFACT_ANNOTATION: "grafana-dashboard", "grafana_folder": DASHBOARD_FOLDER},
        },
        "data": {file: json.dumps(board, indent=2, sort_keys=True)},
    }


class Observability(pulumi.ComponentResource):
    """Metrics, alerts, dashboards, logs and traces of one region.

    `metrics_query_url`: the Prometheus query endpoint KEDA should read with `stack: managed` (the AMP workspace),
    None with the in-cluster stack. `alert_topic_arn`: where this region's alerts go.
    """

    metrics_query_url: pulumi.Output[str] | None

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, opts: pulumi.ResourceOptions):
        super().__init__("blueprints:observability:Observability", name, None, opts)
        self._spec, self._ctx = spec, ctx
        namer, region = ctx.namer, ctx.region
        child = pulumi.ResourceOptions(parent=self)
        topic = AlertTopic(namer("alerts"), ctx.account_id, spec.observability.alert_emails, ctx.keys.enabled, child)
        self.alert_topic_arn = topic.arn
        files = rule_files(spec)

        self.metrics_query_url = None
        remote_write_url = None
        if spec.observability.stack == "managed":
            workspace = self._managed(files, topic)
            # The workspace's endpoint, as AMP documents it (the `prometheus_endpoint` output, without the slash).
            self.metrics_query_url = pulumi.Output.concat(
                "https://aps-workspaces.", region, ".amazonaws.com/workspaces/", workspace.id)
            remote_write_url = pulumi.Output.concat(self.metrics_query_url, "/api/v1/remote_write")
            self._identity("prometheus", NAMESPACE, PROMETHEUS_SA,
                           [allow(["aps:RemoteWrite"], [workspace.arn])])
        else:
            self._identity("alertmanager", NAMESPACE, ALERTMANAGER_SA, topic.publisher())
        release = chart_release(namer(RELEASE), RELEASE, NAMESPACE,
                                kube_prometheus_values(spec, region, topic.arn, remote_write_url), child)
        after_release = pulumi.ResourceOptions(parent=self, depends_on=[release])

        manifests: list[dict[str, Any]] = [pod_monitor(target) for target in
                                           scrape_targets(bool(spec.self_hosted_models), bool(spec.cluster.gpu_pools),
                                                          retrieval_service(spec), spec.feedback.enabled,
                                                          spec.feedback.samples_prompts())]
        if spec.observability.stack == "kube-prometheus":
            manifests += [prometheus_rule(file.removesuffix(".rules.yaml"), content) for file, content in files.items()]
        for manifest in manifests:
            k8s.apiextensions.CustomResource(
                namer(manifest["kind"].lower(), manifest["metadata"]["name"]), api_version=manifest["apiVersion"],
                kind=manifest["kind"], metadata=manifest["metadata"], spec=manifest["spec"], opts=after_release)
        for file, board in dashboards(spec).items():
            manifest = dashboard_configmap(file, board)
            k8s.core.v1.ConfigMap(namer(manifest["metadata"]["name"]), metadata=manifest["metadata"],
                                  data=manifest["data"], opts=after_release)

        self._logs()
        if spec.observability.tracing:
            self._traces()
        self.register_outputs({"alert_topic_arn": topic.arn, "metrics_query_url": self.metrics_query_url})

    def _identity(self, name: str, namespace: str, service_account: str,
                  statements: list[dict[str, Any]]) -> PodIdentity:
        return PodIdentity(self._ctx.namer(name), cluster_name=self._ctx.cluster.cluster_name, namespace=namespace,
                           service_account=service_account, statements=statements,
                           opts=pulumi.ResourceOptions(parent=self))

    def _managed(self, files: dict[str, dict[str, Any]], topic: AlertTopic) -> aws.amp.Workspace:
        """AMP workspace (KMS, retention) evaluating the rules and alerting to SNS; Managed Grafana reading it."""
        namer, child = self._ctx.namer, pulumi.ResourceOptions(parent=self)
        workspace = aws.amp.Workspace(namer("amp"), alias=namer("amp"), kms_key_arn=self._ctx.keys.arn("logs"),
                                      opts=child)
        aws.amp.WorkspaceConfiguration(namer("amp"), workspace_id=workspace.id,
                                       retention_period_in_days=self._spec.observability.metrics_retention_days,
                                       opts=child)
        for file, content in files.items():
            stem = file.removesuffix(".rules.yaml")
            aws.amp.RuleGroupNamespace(namer("amp-rules", stem), name=stem, workspace_id=workspace.id,
                                       data=yaml.safe_dump(content, sort_keys=False), opts=child)
        aws.amp.AlertManagerDefinition(namer("amp"), workspace_id=workspace.id, definition=topic.arn.apply(
            lambda arn: yaml.safe_dump({"alertmanager_config": yaml.safe_dump({
                "route": ALERT_ROUTE, "receivers": [sns_receiver(arn, self._ctx.region)]}, sort_keys=False)})),
            opts=child)
        # Only this account's Grafana workspaces may use the role (AMG-manage-permissions.html).
        account = self._ctx.account_id
        trust = service_trust("grafana.amazonaws.com", account_id=account, source_arn=pulumi.Output.concat(
            "arn:aws:grafana:", self._ctx.region, ":", account, ":/workspaces/*"))
        role = aws.iam.Role(namer("grafana"), assume_role_policy=trust, opts=child)
        # aps:ListWorkspaces has no resource-level permissions: granted on the workspace ARN it grants nothing.
        statements = [allow([*AMP_QUERY, "aps:DescribeWorkspace"], [workspace.arn]),
                      allow(["aps:ListWorkspaces"], ["*"])]
        if self._spec.observability.tracing:
            # X-Ray's read actions have no resource-level permissions: "*" is the only resource they accept.
            statements.append(allow(XRAY_READ, ["*"]))
        aws.iam.RolePolicy(namer("grafana"), role=role.id, policy=pulumi.Output.json_dumps(
            {"Version": "2012-10-17", "Statement": statements}), opts=child)
        grafana = aws.grafana.Workspace(
            namer("grafana"), name=namer("grafana"), account_access_type="CURRENT_ACCOUNT",
            authentication_providers=["AWS_SSO"], permission_type="CUSTOMER_MANAGED", role_arn=role.arn,
            data_sources=["PROMETHEUS", *(["XRAY"] if self._spec.observability.tracing else [])],
            notification_destinations=["SNS"], description=f"{namer.prefix} dashboards", opts=child)
        self.grafana_endpoint = grafana.endpoint
        return workspace

    def _logs(self) -> None:
        namer, ctx = self._ctx.namer, self._ctx
        group = aws.cloudwatch.LogGroup(
            namer("containers"), name=f"/blueprints/{namer.prefix}/containers",
            retention_in_days=self._spec.observability.log_retention_days, kms_key_id=ctx.keys.arn("logs"),
            opts=pulumi.ResourceOptions(parent=self))
        identity = self._identity("fluent-bit", LOGGING_NAMESPACE, FLUENT_BIT_SA, [allow(
            ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            [group.arn, pulumi.Output.concat(group.arn, ":*")])])
        chart_release(namer("aws-for-fluent-bit"), "aws-for-fluent-bit", LOGGING_NAMESPACE,
                      fluent_bit_values(ctx.region, group.name),
                      pulumi.ResourceOptions(parent=self, depends_on=[identity]))

    def _traces(self) -> None:
        # X-Ray's write actions have no resource-level permissions: "*" is the only resource they accept.
        # X-Ray's write calls have no resource-level permissions: "*", held to this region.
        identity = self._identity("otel-collector", NAMESPACE, COLLECTOR_SA, [
            allow(XRAY_WRITE, ["*"], "WriteTraces", StringEquals={"aws:RequestedRegion": self._ctx.region})])
        chart_release(self._ctx.namer("opentelemetry-collector"), "opentelemetry-collector", NAMESPACE,
                      collector_values(self._spec, self._ctx.region),
                      pulumi.ResourceOptions(parent=self, depends_on=[identity]))
