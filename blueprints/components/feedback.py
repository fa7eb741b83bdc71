"""The feedback service of one region: the feedback table (DynamoDB, point-in-time recovery, the data key), the
feedback-api image repository, the API's pod identity (put and get items of that table, nothing else), and the
API + quality worker in namespace `feedback` (see blueprints.feedback.manifests).

Served behind the gateway's edge: the gateway's ALB routes `/v1/feedback` to Service `feedback-api` (its
`feedback` target group, bound here); the service accepts exactly the keys the gateway accepts. It reads answer
attributions and sampled answers from the gateway's Redis (its AUTH token synced here); the quality worker holds
the gateway's master key for its judge calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from blueprints.components.iam import PodIdentity, allow
from blueprints.components.images import runtime_image
from blueprints.components.kube import apply_manifest
from blueprints.components.secrets import SYNC_LABEL, Secrets
from blueprints.feedback.manifests import (
    API,
    GATEWAY_KEY_SECRET,
    NAMESPACE,
    REDIS_SECRET,
    network_policies,
    runs_quality_worker,
    workload_manifests,
)
from blueprints.feedback.protocol import KEY
from blueprints.gateway.edge import FEEDBACK, backends, target_group_binding
from blueprints.gateway.manifests import NAME as GATEWAY_SERVICE
from blueprints.gateway.manifests import NAMESPACE as GATEWAY_NAMESPACE
from blueprints.gateway.manifests import PORT as GATEWAY_PORT
from blueprints.retrieval.manifests import namespace
from blueprints.spec import PlatformSpec
from blueprints.versions import FEEDBACK_API_TAG

if TYPE_CHECKING:
    from blueprints.context import RegionContext

GATEWAY_URL = f"http://{GATEWAY_SERVICE}.{GATEWAY_NAMESPACE}.svc.cluster.local:{GATEWAY_PORT}"
"""The gateway's in-cluster Service: the API asks it whether a key is accepted, the worker sends judge calls."""
TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem"]
"""A conditional put (first rating wins) and a consistent read of the stored one (blueprints/feedback/store.py)."""


class FeedbackService(pulumi.ComponentResource):
    def __init__(self, name: str, spec: PlatformSpec, ctx: RegionContext, secrets: Secrets,
                 opts: pulumi.ResourceOptions, *, target_group_arn: pulumi.Input[str],
                 redis_host: pulumi.Input[str], redis_token: aws.secretsmanager.Secret,
                 gateway_key: aws.secretsmanager.Secret | None):
        """`target_group_arn`: the gateway ALB's `feedback` target group; `redis_host` / `redis_token`: the
        gateway's Valkey and its AUTH token secret; `gateway_key`: the secret of the quality worker's own gateway
        key (its judge calls; issued by the key reconciler), given when the worker runs."""
        super().__init__("blueprints:feedback:FeedbackService", name, None, opts)
        namer, child = ctx.namer, pulumi.ResourceOptions(parent=self)
        data_key = ctx.keys.arn("data")
        table = aws.dynamodb.Table(
            namer("feedback"), name=namer("feedback"), billing_mode="PAY_PER_REQUEST", hash_key=KEY,
            attributes=[{"name": KEY, "type": "S"}], point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": data_key},
            deletion_protection_enabled=spec.deletion_protection,
            opts=pulumi.ResourceOptions(parent=self, protect=spec.deletion_protection))
        repository, image = runtime_image("feedback-api", FEEDBACK_API_TAG, spec, ctx, self)

        objects = pulumi.ResourceOptions(parent=self, depends_on=[
            apply_manifest(namer("feedback-ns"), namespace(NAMESPACE, SYNC_LABEL), child)])
        credentials = [secrets.sync(NAMESPACE, redis_token, {"password": None}, name=REDIS_SECRET, opts=objects)]
        if runs_quality_worker(spec) and gateway_key is not None:
            credentials.append(secrets.sync(NAMESPACE, gateway_key, {"gateway-key": None}, name=GATEWAY_KEY_SECRET,
                                            opts=objects))
        identity = PodIdentity(namer(API), cluster_name=ctx.cluster.cluster_name, namespace=NAMESPACE,
                               service_account=API, statements=[allow(TABLE_ACTIONS, [table.arn], "Feedback")],
                               opts=child)
        ctx.keys.grant_encrypt_decrypt("data", namer(API, "data"), identity.role_arn)

        ready = pulumi.ResourceOptions(parent=self, depends_on=[identity, *credentials, *objects.depends_on])
        for manifest in workload_manifests(spec, image=image, region=ctx.region, table=table.name,
                                           redis_host=redis_host, gateway_url=GATEWAY_URL):
            apply_manifest(namer("feedback", manifest["kind"].lower(), manifest["metadata"]["name"]), manifest, ready)
        for policy in network_policies(ctx.network.vpc_cidr, GATEWAY_NAMESPACE, GATEWAY_PORT):
            apply_manifest(namer("feedback-netpol", policy["metadata"]["name"]), policy, objects)
        # /v1/feedback on the gateway's ALB: same hostname, TLS, WAF and access logs.
        apply_manifest(namer("feedback", "targetgroupbinding"),
                       target_group_binding(backends(spec)[FEEDBACK], target_group_arn), objects)
        self.table_name = table.name
        self.register_outputs({"table": table.name, "repository": repository.repository_url,
                               "role_arn": identity.role_arn})
