"""KEDA (upstream chart, pinned): scales the model servers on their own Prometheus metrics.

With `observability.stack: managed` the metrics live in Amazon Managed Prometheus: KEDA's operator then gets a
pod identity that may only query the region's AMP workspaces, and a ClusterTriggerAuthentication that signs the
queries with it (SigV4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_kubernetes as k8s

from blueprints.components.cluster import SYSTEM_NODE_LABEL
from blueprints.components.helm import chart_release
from blueprints.components.iam import PodIdentity, allow
from blueprints.conventions import AMP_AUTHENTICATION
from blueprints.spec import PlatformSpec

if TYPE_CHECKING:
    from blueprints.context import RegionContext

NAMESPACE = "keda"
OPERATOR_SERVICE_ACCOUNT = "keda-operator"
IN_CLUSTER_PROMETHEUS_URL = "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090"
"""Query endpoint of kube-prometheus-stack (release `kube-prometheus-stack` in namespace `monitoring`)."""


def keda_values(spec: PlatformSpec) -> dict:
    replicas = 2 if spec.environment == "prod" else 1
    small = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}}
    return {
        "operator": {"replicaCount": replicas},
        "metricsServer": {"replicaCount": replicas},
        "webhooks": {"replicaCount": replicas},
        "nodeSelector": SYSTEM_NODE_LABEL,
        "resources": {"operator": small, "metricServer": small, "webhooks": small},
        "podSecurityContext": {"operator": _pod_security(), "metricServer": _pod_security(),
                               "webhooks": _pod_security()},
        "serviceAccount": {"operator": {"name": OPERATOR_SERVICE_ACCOUNT}},
        "podIdentity": {"aws": {"irsa": {"enabled": False}}},
    }


def _pod_security() -> dict:
    return {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


def amp_authentication() -> dict:
    return {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ClusterTriggerAuthentication",
        "metadata": {"name": AMP_AUTHENTICATION, "labels": {"app.kubernetes.io/part-of": "llm-platform"}},
        "spec": {"podIdentity": {"provider": "aws"}},
    }


class Keda(pulumi.ComponentResource):
    """The KEDA release; `ready` is what ScaledObjects (its CRDs) depend on."""

    ready: list[pulumi.Resource]

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, opts: pulumi.ResourceOptions):
        super().__init__("blueprints:serving:Keda", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # The operator's own identity: query AMP (managed stack) and assume the batch tier's queue-reading role.
        statements = []
        if spec.observability.stack == "managed":
            workspaces = pulumi.Output.concat("arn:aws:aps:", ctx.region, ":", ctx.account_id, ":workspace/*")
            statements.append(allow(["aps:QueryMetrics", "aps:GetLabels", "aps:GetSeries", "aps:GetMetricMetadata"],
                                    [workspaces], "QueryMetrics"))
        if spec.batch.enabled:
            scaler_roles = pulumi.Output.concat("arn:aws:iam::", ctx.account_id, ":role/",
                                                ctx.namer("batch-scaler"), "*")
            statements.append(allow(["sts:AssumeRole"], [scaler_roles], "AssumeBatchScaler"))
        needs: list[pulumi.Resource] = [PodIdentity(
            ctx.namer("keda"), cluster_name=ctx.cluster.cluster_name, namespace=NAMESPACE,
            service_account=OPERATOR_SERVICE_ACCOUNT, statements=statements, opts=child,
        )] if statements else []
        release = chart_release(ctx.namer("keda"), "keda", NAMESPACE, keda_values(spec),
                                pulumi.ResourceOptions(parent=self, depends_on=needs))
        self.ready = [release]
        if spec.observability.stack == "managed":
            manifest = amp_authentication()
            self.ready.append(k8s.apiextensions.CustomResource(
                ctx.namer("keda", "amp-auth"), api_version=manifest["apiVersion"], kind=manifest["kind"],
                metadata=manifest["metadata"], spec=manifest["spec"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[release]),
            ))
        self.register_outputs({})
