"""Fail closed on resource types nobody reviewed: every resource in the stack is read by at least one policy of the
library (its `applies_to`), or listed in REVIEWED with the reason it carries no setting a policy must judge. Anything
else (a new service, a renamed token, a type a user added) is a violation until a policy reads it or a reviewer adds
it here. The project's own component resources (`blueprints:*`) and the stack itself create nothing and are
exempt; their children are judged one by one."""

from collections.abc import Iterator, Sequence

from .. import tokens
from ..model import Finding, Res, StackContext

EXEMPT_PREFIXES = ("blueprints:", tokens.STACK)
NETWORK_PLUMBING = ("network plumbing: reachability is decided by security groups, load balancers and the EKS "
                    "endpoint, which are judged")
REVIEWED: dict[str, str] = {
    "aws:acm/certificate:Certificate": "a TLS certificate; the listeners that serve it are judged",
    "aws:amp/workspace:Workspace": "managed Prometheus metrics (no request content), encrypted at rest by AWS",
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": "alert routing for the managed Prometheus workspace",
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": "alerting and recording rules",
    "aws:amp/workspaceConfiguration:WorkspaceConfiguration": "retention and limits of the metrics workspace",
    "aws:bedrock/guardrail:Guardrail": "content filter rules the gateway applies; holds no request content, and "
                                       "who may apply it is judged on the gateway role",
    "aws:bedrock/guardrailVersion:GuardrailVersion": "an immutable snapshot of a guardrail's rules",
    "aws:cloudwatch/eventRule:EventRule": "matches events; its targets are judged resources",
    "aws:cloudwatch/eventTarget:EventTarget": "delivers matched events to a judged queue, topic or function",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "an alarm on a metric; notifies a judged topic",
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor": "cost anomaly detection; holds no data",
    "aws:costexplorer/anomalySubscription:AnomalySubscription": "notifies named addresses of cost anomalies",
    "aws:costexplorer/costAllocationTag:CostAllocationTag": "activates a tag for billing reports",
    "aws:ecs/cluster:Cluster": "a namespace for ECS services; their tasks and networking are judged",
    "aws:ec2/eip:Eip": "an address for a NAT gateway; exposure is judged on security groups and load balancers",
    "aws:ec2/capacityBlockReservation:CapacityBlockReservation": "buys GPU instance capacity for a few days (a cost, "
                                                                 "in the plan); holds no data, exposes nothing",
    "aws:ec2/capacityReservation:CapacityReservation": "reserves instance capacity (a cost, in the plan); holds no "
                                                       "data, exposes nothing",
    "aws:ec2/internetGateway:InternetGateway": NETWORK_PLUMBING,
    "aws:ec2/natGateway:NatGateway": "outbound-only translation; admits no inbound connection",
    "aws:ec2/route:Route": NETWORK_PLUMBING,
    "aws:ec2/defaultRouteTable:DefaultRouteTable": NETWORK_PLUMBING,
    "aws:ec2/routeTable:RouteTable": NETWORK_PLUMBING,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": NETWORK_PLUMBING,
    "aws:ec2/subnet:Subnet": NETWORK_PLUMBING,
    "aws:ec2/vpcEndpoint:VpcEndpoint": "a private path to an AWS service; keeps traffic off the internet",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":
        "outbound only: admits no connection from outside (ingress is judged by security-group-no-open-ingress)",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "expires untagged images; grants nothing",
    "aws:ecr/pullThroughCacheRule:PullThroughCacheRule":
        "mirrors a named upstream registry into a private repository; its credentials secret is judged",
    "aws:ecr/replicationConfiguration:ReplicationConfiguration":
        "copies images to the account's own regions; residency-allowlist judges the regions",
    "aws:eks/accessEntry:AccessEntry":
        "names a principal; what it may do is the access policy association (k8s-rbac-least-privilege)",
    "aws:eks/addon:Addon": "an EKS-managed add-on at a pinned version; runs with its own IAM role (judged)",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation":
        "links a service account to a role; the role's policies are judged by the IAM policies",
    "aws:elasticache/subnetGroup:SubnetGroup": NETWORK_PLUMBING,
    "aws:rds/subnetGroup:SubnetGroup": NETWORK_PLUMBING,
    "aws:rds/clusterParameterGroup:ClusterParameterGroup":
        "engine parameters; encryption, exposure and backups are judged on the cluster",
    "aws:grafana/workspace:Workspace": "AWS-managed dashboards behind IAM Identity Center sign-in",
    "aws:iam/instanceProfile:InstanceProfile": "wraps a role for EC2; the role's policies are judged",
    "aws:kms/grant:Grant": "a grant on one of the stack's keys to a named grantee principal and operations",
    "aws:lambda/function:Function":
        "acts through its role (IAM policies judged); its invocation surface is its Permission and FunctionUrl "
        "(resource-not-public)",
    "aws:lb/listenerRule:ListenerRule": "routes within a listener whose protocol and TLS policy are judged",
    "aws:lb/targetGroup:TargetGroup": "in-VPC backends of a listener whose protocol and TLS policy are judged",
    "aws:route53/healthCheck:HealthCheck": "probes a public endpoint that is judged as a load balancer",
    "aws:route53/record:Record": "names an endpoint that is judged as a load balancer",
    "aws:route53/zone:Zone": "a DNS zone; holds no data and admits no connection",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
        "expires or tiers objects; versioning and object lock are judged",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls":
        "BucketOwnerEnforced disables ACLs; public ACLs are judged by resource-not-public",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
        "replicates into the stack's own buckets, each judged; residency-allowlist judges their regions",
    "aws:secretsmanager/secretRotation:SecretRotation": "turns rotation on for a secret that is judged",
    "aws:secretsmanager/secretVersion:SecretVersion": "a value stored under a secret that is judged",
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": "names which of the account's queues may dead-letter here",
    "aws:wafv2/webAcl:WebAcl": "the WAF itself; its association with load balancers is judged",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "sends WAF logs to a judged destination",
    "pulumi:providers:kubernetes": "the connection to the cluster; every object it creates is judged",
    "kubernetes:core/v1:ServiceAccount": "an identity; its permissions are RBAC (k8s-rbac-least-privilege) and "
                                         "its IAM role's policies (judged)",
    "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding":
        "registers pods in a target group of a judged load balancer",
    "kubernetes:external-secrets.io/v1:ClusterSecretStore": "points External Secrets at Secrets Manager, whose "
                                                            "secrets and IAM access are judged",
    "kubernetes:external-secrets.io/v1:ExternalSecret": "copies a judged Secrets Manager secret into the cluster",
    "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy": "in-cluster proxy settings behind the judged ALB",
    "kubernetes:gateway.networking.k8s.io/v1:Gateway": "in-cluster routing behind the judged ALB",
    "kubernetes:gateway.networking.k8s.io/v1:GatewayClass": "selects the in-cluster gateway implementation",
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": "in-cluster routing behind the judged ALB",
    "kubernetes:keda.sh/v1alpha1:ClusterTriggerAuthentication": "tells KEDA how to read a metric source",
    "kubernetes:keda.sh/v1alpha1:TriggerAuthentication": "tells KEDA how to read a metric source",
    "kubernetes:monitoring.coreos.com/v1:PodMonitor": "tells Prometheus which pods to scrape",
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule": "alerting and recording rules",
}
"""Types no policy reads, each with the reviewer's reason it needs no check of its own."""


def read_types() -> frozenset[str]:
    """Every type some policy of the library reads, or that REVIEWED lists (this policy's own applies_to)."""
    from ..registry import METAS

    return frozenset(t for meta in METAS for t in meta.applies_to)


def check(resources: Sequence[Res], ctx: StackContext) -> Iterator[Finding]:
    known = read_types()
    for resource in resources:
        if resource.type.startswith(EXEMPT_PREFIXES) or resource.type in known:
            continue
        yield Finding(f"{resource.type} {resource.name!r}: no policy reads this resource type, so nothing judges "
                      "what it does; add a policy that reads it, or review it into "
                      f"checks/unreviewed_resource_type.py REVIEWED with the reason it needs none", resource.urn)
