"""Self-hosted model serving of one region: artifacts (bucket + ECR), KEDA, and per model version a Deployment
of the serving image with its Service, PodDisruptionBudget, options ConfigMap and ScaledObject; per model a
pod identity that reads only its own prefix of the artifacts bucket, and the model's Service.

`endpoints`: model name -> in-cluster base URL of the model's Service (which selects the primary version); the
gateway addresses each version's own Service with its rollout weight (blueprints.gateway.litellm_config).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from blueprints.components.artifacts import ModelArtifacts
from blueprints.components.iam import PodIdentity
from blueprints.components.keda import IN_CLUSTER_PROMETHEUS_URL, Keda
from blueprints.serving.manifests import (
    NAMESPACE,
    engine_of,
    model_manifests,
    namespace_manifests,
    service_url,
)
from blueprints.spec import PlatformSpec
from blueprints.versions import SERVING_IMAGE_TAGS

if TYPE_CHECKING:
    from blueprints.context import RegionContext


class ModelServing(pulumi.ComponentResource):
    endpoints: dict[str, str]
    artifacts: ModelArtifacts | None

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, opts: pulumi.ResourceOptions,
                 metrics_query_url: pulumi.Input[str] | None = None):
        """`metrics_query_url`: Prometheus query endpoint KEDA reads; default: the in-cluster kube-prometheus
        Service. With `observability.stack: managed` pass the AMP workspace's query URL."""
        super().__init__("blueprints:serving:ModelServing", name, None, opts)
        self.endpoints, self.artifacts = {}, None
        if not spec.self_hosted_models:
            self.register_outputs({})
            return
        child = pulumi.ResourceOptions(parent=self)
        namer = ctx.namer
        self.artifacts = ModelArtifacts(namer("artifacts"), spec, ctx, opts=child)
        keda = Keda(namer("keda"), spec, ctx, opts=child)
        namespace, policy = namespace_manifests()
        ns = _resource(namer("models-namespace"), namespace, child)
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[ns])
        _resource(namer("models-network"), policy, in_namespace)

        engine = engine_of(spec)
        image = pulumi.Output.concat(self.artifacts.repository_urls[engine.image], ":",
                                     SERVING_IMAGE_TAGS[engine.image])
        for model in spec.self_hosted_models:
            identity = PodIdentity(namer("model", model.name), cluster_name=ctx.cluster.cluster_name,
                                   namespace=NAMESPACE, service_account=model.name,
                                   statements=self.artifacts.read_statements(model.name), opts=child)
            objects = model_manifests(spec, model, region=ctx.region, bucket=self.artifacts.bucket_name,
                                      image=image, metrics_url=metrics_query_url or IN_CLUSTER_PROMETHEUS_URL)
            for manifest in objects.shared:
                _resource(namer(model.name), manifest, in_namespace)
            for version, manifests in objects.per_version.items():
                for manifest in manifests:
                    needs = {"Deployment": [identity], "ScaledObject": keda.ready}.get(manifest["kind"], [])
                    _resource(namer(model.name, version), manifest,
                              pulumi.ResourceOptions(parent=self, depends_on=[ns, *needs]))
            self.endpoints[model.name] = service_url(spec, model.name)
        self.register_outputs({"endpoints": self.endpoints, "bucket_name": self.artifacts.bucket_name})


def _resource(name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """One Kubernetes object from its manifest, as the typed resource of its kind (CRs as CustomResource)."""
    kind, metadata = manifest["kind"], manifest["metadata"]
    if kind == "Namespace":
        return k8s.core.v1.Namespace(name, metadata=metadata, opts=opts)
    if kind == "ServiceAccount":
        return k8s.core.v1.ServiceAccount(name, metadata=metadata, opts=opts,
                                          automount_service_account_token=manifest["automountServiceAccountToken"])
    if kind == "ConfigMap":
        return k8s.core.v1.ConfigMap(name, metadata=metadata, data=manifest["data"], opts=opts)
    if kind == "Service":
        return k8s.core.v1.Service(name, metadata=metadata, spec=manifest["spec"], opts=opts)
    if kind == "Deployment":
        # KEDA's HPA owns the replica count once the Deployment exists.
        return k8s.apps.v1.Deployment(name, metadata=metadata, spec=manifest["spec"],
                                      opts=pulumi.ResourceOptions.merge(
                                          opts, pulumi.ResourceOptions(ignore_changes=["spec.replicas"])))
    if kind == "PodDisruptionBudget":
        return k8s.policy.v1.PodDisruptionBudget(name, metadata=metadata, spec=manifest["spec"], opts=opts)
    if kind == "NetworkPolicy":
        return k8s.networking.v1.NetworkPolicy(name, metadata=metadata, spec=manifest["spec"], opts=opts)
    return k8s.apiextensions.CustomResource(name, api_version=manifest["apiVersion"], kind=kind, metadata=metadata,
                                            spec=manifest["spec"], opts=opts)
