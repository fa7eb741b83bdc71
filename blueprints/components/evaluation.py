"""The in-cluster release gate of one region (see blueprints.evaluation.manifests): the eval-runner image
repository, namespace `evaluation` with its pod identity (write `evals/*` of the artifacts bucket), the gateway's
key for the Job, the golden sets (in the artifacts bucket and as ConfigMaps), and one gate Job per candidate."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from blueprints.components.iam import PodIdentity, allow
from blueprints.components.images import runtime_image
from blueprints.components.kube import apply_manifest
from blueprints.components.secrets import SYNC_LABEL, Secrets
from blueprints.evaluation.manifests import (
    KEY_SECRET,
    NAMESPACE,
    SERVICE_ACCOUNT,
    gate_job,
    gates,
    golden_config_map,
    network_policy,
    service_account,
    verdict_prefix,
)
from blueprints.gateway.manifests import NAME as GATEWAY_SERVICE
from blueprints.gateway.manifests import NAMESPACE as GATEWAY_NAMESPACE
from blueprints.gateway.manifests import PORT as GATEWAY_PORT
from blueprints.retrieval.manifests import namespace
from blueprints.spec import PlatformSpec
from blueprints.versions import EVAL_RUNNER_TAG

if TYPE_CHECKING:
    from blueprints.components.artifacts import ModelArtifacts
    from blueprints.context import RegionContext

GATEWAY_URL = f"http://{GATEWAY_SERVICE}.{GATEWAY_NAMESPACE}.svc.cluster.local:{GATEWAY_PORT}/v1"


class EvaluationGate(pulumi.ComponentResource):
    @staticmethod
    def needed(spec: PlatformSpec) -> bool:
        """Evaluation is on and some self-hosted model has a candidate to gate."""
        return bool(gates(spec))

    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, secrets: Secrets,
                 artifacts: ModelArtifacts, opts: pulumi.ResourceOptions, *,
                 gateway_key: aws.secretsmanager.Secret):
        """`gateway_key`: the secret of the eval runner's own gateway key (`platform-eval`, issued and written by
        the key reconciler Job); synced into namespace `evaluation` only."""
        super().__init__("blueprints:evaluation:EvaluationGate", name, None, opts)
        namer, child = ctx.namer, pulumi.ResourceOptions(parent=self)
        repository, image = runtime_image("eval-runner", EVAL_RUNNER_TAG, spec, ctx, self)
        identity = PodIdentity(
            namer(SERVICE_ACCOUNT), cluster_name=ctx.cluster.cluster_name, namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT, opts=child,
            statements=[allow(["s3:GetObject", "s3:PutObject"],
                              [pulumi.Output.concat(artifacts.bucket_arn, "/evals/*")], "Verdicts")],
        )
        ctx.keys.grant_encrypt_decrypt("artifacts", namer(SERVICE_ACCOUNT, "artifacts"), identity.role_arn)

        objects = pulumi.ResourceOptions(parent=self, depends_on=[
            apply_manifest(namer("eval-ns"), namespace(NAMESPACE, SYNC_LABEL), child)])
        ready = [
            identity,
            secrets.sync(NAMESPACE, gateway_key, {"api-key": None}, name=KEY_SECRET, opts=objects),
            apply_manifest(namer("eval", "serviceaccount"), service_account(), objects),
            apply_manifest(namer("eval", "networkpolicy"), network_policy(GATEWAY_NAMESPACE), objects),
        ]
        uploaded: dict[str, pulumi.Resource] = {}
        for gate in gates(spec):
            golden = gate.golden
            if golden.key not in uploaded:
                aws.s3.BucketObjectv2(namer("golden", golden.name), bucket=artifacts.bucket_name, key=golden.key,
                                      content=golden.content, content_type="application/x-ndjson", opts=child)
                uploaded[golden.key] = apply_manifest(namer("golden", golden.name), golden_config_map(golden),
                                                      objects)
            location = pulumi.Output.concat("s3://", artifacts.bucket_name, "/", verdict_prefix(gate))
            job = gate_job(spec, gate, image=image, gateway_url=GATEWAY_URL, location=location, region=ctx.region)
            apply_manifest(namer("eval", gate.model, gate.candidate), job,
                           pulumi.ResourceOptions(parent=self, depends_on=[*ready, uploaded[golden.key]]))
        self.register_outputs({"repository": repository.repository_url})
