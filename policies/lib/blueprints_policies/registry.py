"""One metadata record per policy, and the link to its check module (checks/<id with underscores>.py).

Packs select from this registry (packs.py); the compliance matrix and reports read it. Control IDs must
exist in controls.CONTROLS (tests/policies/test_registry.py checks it).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from . import tokens as t
from .checks.unreviewed_resource_type import REVIEWED
from .model import PolicyMeta

Controls = dict[str, tuple[str, ...]]


def merge(*groups: Controls) -> Controls:
    merged: dict[str, list[str]] = {}
    for group in groups:
        for framework, ids in group.items():
            merged.setdefault(framework, [])
            merged[framework] += [i for i in ids if i not in merged[framework]]
    return {f: tuple(ids) for f, ids in merged.items()}


# Why each group is evidence for its controls, and full or partial: controls.CONTROLS (`why`, `coverage`).
# PCI DSS 3.5.1 is not mapped: storage-level encryption does not render PAN unreadable (PCI DSS v4.0 3.5.1.2).
AT_REST: Controls = {"HIPAA": ("164.312(a)(2)(iv)",), "SOC 2": ("CC6.1",), "GDPR": ("Art. 5(1)(f)", "Art. 32"),
                     "ISO 27001": ("A.8.24",), "NIST 800-53": ("SC-28",)}
IN_TRANSIT: Controls = {"HIPAA": ("164.312(e)(1)",), "SOC 2": ("CC6.7",), "GDPR": ("Art. 32",),
                        "PCI DSS": ("4.2.1",), "ISO 27001": ("A.8.24",), "NIST 800-53": ("SC-8",)}
# EU AI Act Art. 12 is the AI system's own event log (gateway-request-logging), not network or cloud audit logs.
AUDIT: Controls = {"HIPAA": ("164.312(b)",), "SOC 2": ("CC7.2",), "PCI DSS": ("10.2.1",),
                   "ISO 27001": ("A.8.15",), "NIST 800-53": ("AU-2", "AU-12")}
LOG_INTEGRITY: Controls = {"HIPAA": ("164.312(c)(1)",), "PCI DSS": ("10.3.2",), "ISO 27001": ("A.8.15",),
                           "NIST 800-53": ("AU-9",)}
LOG_RETENTION: Controls = {"PCI DSS": ("10.5.1",), "EU AI Act": ("Art. 19",), "ISO 27001": ("A.8.15",),
                           "NIST 800-53": ("AU-11",)}
BACKUP: Controls = {"HIPAA": ("164.308(a)(7)(ii)(A)",), "SOC 2": ("A1.2",), "ISO 27001": ("A.8.13",),
                    "NIST 800-53": ("CP-9",)}
CONTINUITY: Controls = {"SOC 2": ("A1.2",), "ISO 27001": ("A.5.30",), "EU AI Act": ("Art. 15",),
                        "NIST 800-53": ("CP-10",)}
ACCESS: Controls = {"HIPAA": ("164.312(a)(1)",), "SOC 2": ("CC6.1",), "GDPR": ("Art. 25",),
                    "ISO 27001": ("A.5.15",), "NIST 800-53": ("AC-3",)}
LEAST_PRIVILEGE: Controls = {"SOC 2": ("CC6.3",), "PCI DSS": ("7.2.2",), "ISO 27001": ("A.8.2",),
                             "NIST 800-53": ("AC-6",)}
BOUNDARY: Controls = {"SOC 2": ("CC6.6",), "PCI DSS": ("1.3.1",), "ISO 27001": ("A.8.20",), "NIST 800-53": ("SC-7",)}
STORES_NOT_PUBLIC: Controls = {"PCI DSS": ("1.4.4",)}
# Segmentation inside the platform is SOC 2 CC6.1's 'considers network segmentation', not the PCI DSS 1.4.1
# boundary between trusted and untrusted networks.
SEGREGATION: Controls = {"SOC 2": ("CC6.1",), "ISO 27001": ("A.8.22",), "NIST 800-53": ("AC-4", "SC-7")}
WEB_PROTECTION: Controls = {"SOC 2": ("CC6.6",), "PCI DSS": ("6.4.2",), "EU AI Act": ("Art. 15",),
                            "NIST 800-53": ("SC-7",)}
KEY_ROTATION: Controls = {"PCI DSS": ("3.7.4",), "ISO 27001": ("A.8.24",), "NIST 800-53": ("SC-12",)}
# A key read from a secret (not a literal) is PCI DSS 8.6.2 / NIST IA-5(7); a shared key authenticates no person,
# so HIPAA 164.312(d) and PCI DSS 8.3.1 are process controls (controls.py).
AUTHENTICATION: Controls = {"HIPAA": ("164.312(a)(1)",), "SOC 2": ("CC6.1",), "PCI DSS": ("8.6.2",),
                            "ISO 27001": ("A.8.5",), "NIST 800-53": ("AC-3", "IA-5(7)")}
SUPPLY_CHAIN: Controls = {"SOC 2": ("CC6.8", "CC8.1"), "PCI DSS": ("2.2.1",), "ISO 27001": ("A.8.9",),
                          "NIST 800-53": ("CM-2",)}
VULNERABILITIES: Controls = {"SOC 2": ("CC7.1",), "ISO 27001": ("A.8.8",), "NIST 800-53": ("SI-2",)}
# SOC 2 CC7.1 'uses defined configuration standards' (CC6.8 is about unauthorized software, not IMDSv2 or seccomp).
HARDENING: Controls = {"PCI DSS": ("2.2.1",), "ISO 27001": ("A.8.9",), "SOC 2": ("CC7.1",), "NIST 800-53": ("CM-6",)}
PRIVILEGED: Controls = {"ISO 27001": ("A.8.9",), "SOC 2": ("CC7.1",), "PCI DSS": ("2.2.1",), "NIST 800-53": ("AC-6",)}
MONITORING: Controls = {"SOC 2": ("CC7.2",), "ISO 27001": ("A.8.16",), "NIST 800-53": ("SI-4",)}
CAPACITY: Controls = {"SOC 2": ("A1.1",), "ISO 27001": ("A.8.6",), "NIST 800-53": ("SC-6",)}
CLOUD_USE: Controls = {"ISO 27001": ("A.5.23",)}
INVENTORY: Controls = {"ISO 27001": ("A.5.9",), "NIST 800-53": ("CM-8",)}
RESIDENCY: Controls = {"GDPR": ("Art. 44",), "ISO 27001": ("A.5.23",), "NIST 800-53": ("SA-9(5)",)}
STORAGE_LIMITATION: Controls = {"GDPR": ("Art. 5(1)(e)",), "NIST 800-53": ("SI-12",)}
AI_ROBUSTNESS: Controls = {"EU AI Act": ("Art. 15",)}


def _meta(id: str, title: str, severity: str, kind: str, applies_to: tuple[str, ...], rationale: str,
          remediation: str, controls: Controls, exceptions: str | None = None) -> PolicyMeta:
    return PolicyMeta(id=id, title=title, severity=severity, kind=kind, applies_to=applies_to,
                      rationale=rationale, remediation=remediation, controls=controls, exceptions=exceptions)


POD_BEARING = t.K8S_POD_BEARING
NODE_SOURCES = t.LAUNCH_TEMPLATE + t.EC2_INSTANCE + t.KARPENTER_NODECLASS
RDS = t.RDS_INSTANCE + t.RDS_CLUSTER

METAS: tuple[PolicyMeta, ...] = (
    # --- S3 (stack-level: a v7 bucket is configured by companion resources) ---
    _meta("s3-bucket-versioned", "S3 buckets are versioned", "high", "stack", t.S3_BUCKET + t.S3_VERSIONING,
          "Versioning keeps overwritten and deleted objects recoverable (model weights, audit logs).",
          "Add aws.s3.BucketVersioning(bucket=<bucket>.id, versioning_configuration={'status': 'Enabled'}).",
          merge(BACKUP, {"HIPAA": ("164.312(c)(1)",)})),
    _meta("s3-bucket-encrypted", "S3 buckets encrypt by default", "high", "stack", t.S3_BUCKET + t.S3_SSE,
          "Default encryption means no object is ever stored in plaintext, whoever uploads it.",
          "Add aws.s3.BucketServerSideEncryptionConfiguration with "
          "rules[].apply_server_side_encryption_by_default.sse_algorithm 'aws:kms'.", AT_REST),
    _meta("s3-bucket-kms-cmk", "S3 buckets use a customer-managed KMS key", "high", "stack",
          t.S3_BUCKET + t.S3_SSE,
          "A customer-managed key puts decryption behind a key policy and CloudTrail-logged KMS calls, and "
          "lets the data be crypto-shredded.",
          "Set rules[].apply_server_side_encryption_by_default.kms_master_key_id to the platform KMS key.",
          merge(AT_REST, {"HIPAA": ("164.312(a)(1)",)}),
          exceptions="Server-access-log target buckets use SSE-S3: S3 log delivery does not support SSE-KMS "
                     "there (s3-bucket-encrypted still applies)."),
    _meta("s3-bucket-public-access-blocked", "S3 buckets block public access", "critical", "stack",
          t.S3_BUCKET + t.S3_PUBLIC_ACCESS_BLOCK,
          "Public ACLs and policies are the most common cause of S3 data exposure.",
          "Add aws.s3.BucketPublicAccessBlock with block_public_acls, block_public_policy, "
          "ignore_public_acls and restrict_public_buckets all true.", merge(ACCESS, BOUNDARY, STORES_NOT_PUBLIC)),
    _meta("s3-bucket-access-logged", "S3 buckets write server access logs", "medium", "stack",
          t.S3_BUCKET + t.S3_LOGGING,
          "Object-level access records are the evidence trail for who read which data.",
          "Add aws.s3.BucketLogging(bucket=<bucket>.id, target_bucket=<access-log bucket>.id).", AUDIT,
          exceptions="Buckets that are themselves access-log targets are exempt (logging into itself loops)."),
    _meta("s3-bucket-tls-only", "S3 buckets refuse plaintext requests", "medium", "stack",
          t.S3_BUCKET + t.S3_BUCKET_POLICY,
          "S3 accepts HTTP unless a bucket policy denies it.",
          "Add aws.s3.BucketPolicy with a Deny statement on Condition.Bool.aws:SecureTransport 'false'.",
          IN_TRANSIT),
    _meta("audit-bucket-object-lock", "The audit-log bucket is immutable", "high", "stack",
          t.CLOUDTRAIL + t.S3_BUCKET + t.S3_OBJECT_LOCK,
          "Audit logs an administrator can delete are no evidence; Object Lock makes them WORM.",
          "Create the trail's bucket with object_lock_enabled=True and add "
          "aws.s3.BucketObjectLockConfiguration with a default retention rule.", LOG_INTEGRITY),
    # --- CloudTrail ---
    _meta("cloudtrail-present", "A multi-region CloudTrail trail is logging", "critical", "stack", t.CLOUDTRAIL,
          "API activity in every region is the base audit trail for the account.",
          "Add aws.cloudtrail.Trail with is_multi_region_trail=True (the audit component).", AUDIT),
    _meta("cloudtrail-log-file-validation", "CloudTrail validates log-file integrity", "high", "resource",
          t.CLOUDTRAIL, "Digest files prove that delivered logs were not altered.",
          "Set enable_log_file_validation=True on the trail.", LOG_INTEGRITY),
    _meta("cloudtrail-kms", "CloudTrail logs are KMS-encrypted", "high", "resource", t.CLOUDTRAIL,
          "Trail logs reveal the whole estate; SSE-KMS restricts who can read them.",
          "Set kms_key_id on the trail to the audit KMS key.", merge(AT_REST, LOG_INTEGRITY)),
    # --- EKS ---
    _meta("eks-secrets-encryption", "EKS encrypts Kubernetes Secrets with KMS", "high", "resource",
          t.EKS_CLUSTER, "Envelope encryption keeps Secrets unreadable in etcd backups.",
          "Set encryption_config={'resources': ['secrets'], 'provider': {'key_arn': <kms key arn>}}.", AT_REST,
          exceptions="Kubernetes 1.28+ without encryptionConfig passes: EKS envelope-encrypts all API data with an "
                     "AWS-owned key by default (kms-customer-managed-keys requires the platform's own key)."),
    _meta("eks-private-endpoint", "EKS API endpoint is private", "high", "resource", t.EKS_CLUSTER,
          "A private control plane removes the cluster API from the internet attack surface.",
          "Set vpc_config.endpoint_public_access=False and endpoint_private_access=True.",
          merge(BOUNDARY, SEGREGATION)),
    _meta("eks-public-endpoint-restricted", "A public EKS endpoint is CIDR-restricted", "medium", "resource",
          t.EKS_CLUSTER, "An open API endpoint invites credential stuffing and exploit scans.",
          "Set vpc_config.public_access_cidrs to the operators' ranges, or make the endpoint private.", BOUNDARY),
    _meta("eks-standard-support", "EKS version has 60+ days of standard support left", "medium", "resource",
          t.EKS_CLUSTER,
          "Past the end of standard support EKS bills extended support (6x the cluster-hour price) and, a year "
          "later, upgrades the control plane on its own schedule.",
          "Set cluster.kubernetes_version to a version of blueprints.versions.EKS_VERSIONS whose standard support "
          "ends more than 60 days from now, and upgrade the cluster.", VULNERABILITIES,
          exceptions="Prod stacks are left to eks-standard-support-prod (mandatory there)."),
    _meta("eks-standard-support-prod", "Prod EKS version has 60+ days of standard support left", "high",
          "resource", t.EKS_CLUSTER,
          "A prod cluster that slips into extended support costs 6x per cluster-hour and faces a forced "
          "control-plane upgrade a year later.",
          "Set cluster.kubernetes_version to a version of blueprints.versions.EKS_VERSIONS whose standard support "
          "ends more than 60 days from now, and upgrade the cluster.", VULNERABILITIES,
          exceptions="Only prod stacks are checked (eks-standard-support advises elsewhere)."),
    _meta("eks-control-plane-logging", "EKS control-plane logging is on", "high", "resource", t.EKS_CLUSTER,
          "API-server and audit logs record every change to the cluster.",
          "Set enabled_cluster_log_types to include 'api', 'audit' and 'authenticator'.", AUDIT),
    # --- Compute ---
    _meta("imdsv2-required", "Nodes require IMDSv2", "high", "resource", NODE_SOURCES + t.EKS_NODE_GROUP,
          "IMDSv1 lets any SSRF bug steal the node role's credentials.",
          "Set metadata_options.http_tokens='required' (EC2NodeClass: spec.metadataOptions.httpTokens).",
          merge(HARDENING, {"SOC 2": ("CC6.1",)})),
    _meta("ebs-encrypted", "EBS volumes are encrypted", "high", "resource", t.EBS_VOLUME + NODE_SOURCES,
          "Node volumes hold model weights, caches and logs with request data.",
          "Set encrypted=True on the volume / block device mapping (EC2NodeClass: "
          "spec.blockDeviceMappings[].ebs.encrypted).", AT_REST),
    _meta("security-group-no-open-ingress", "No security group is open to the internet beyond 80/443",
          "high", "resource", t.SECURITY_GROUP + t.SECURITY_GROUP_INGRESS + t.SECURITY_GROUP_RULE,
          "Only the load balancer's web ports should face the internet.",
          "Restrict cidr_blocks / cidr_ipv4 to known ranges or reference a security group.", BOUNDARY),
    # --- KMS and secrets ---
    _meta("kms-key-rotation", "KMS keys rotate", "medium", "resource", t.KMS_KEY,
          "Rotation bounds the data encrypted under one key version (the cryptoperiod).",
          "Set enable_key_rotation=True.", KEY_ROTATION),
    _meta("kms-customer-managed-keys", "Data at rest uses the platform's customer-managed KMS keys", "high",
          "stack", t.KMS_KEY + t.KMS_ALIAS + t.EKS_CLUSTER + t.SECRET + t.LOG_GROUP + t.SNS_TOPIC + t.SQS_QUEUE
          + t.DYNAMODB_TABLE + RDS + t.ELASTICACHE_REPLICATION_GROUP + t.LAUNCH_TEMPLATE + t.KARPENTER_NODECLASS
          + t.CLOUDTRAIL + t.ECR_REPOSITORY + t.SSM_PARAMETER,
          "AWS-managed keys (aws/ebs, aws/secretsmanager, ...) let every principal of the account decrypt through "
          "the service; a customer-managed key's policy and grants name who may, every use is logged against a "
          "key the platform owns, and disabling it crypto-shreds the data.",
          "Keep secrets.customer_managed_keys true (the default): every encrypting input then names one of the "
          "stack's KMS keys (components/keys.py).", merge(AT_REST, KEY_ROTATION),
          exceptions="S3 buckets are s3-bucket-kms-cmk's (access-log targets take SSE-S3 only); SQS queues with "
                     "SQS-managed SSE (Karpenter's interruption queue, fed EC2 event metadata by EventBridge); "
                     "ECR pull-through credentials (ecr-pullthroughcache/*), read by ECR's service-linked role."),
    _meta("secretsmanager-cmk", "Secrets use a customer-managed KMS key", "medium", "resource", t.SECRET,
          "A customer-managed key lets the key policy, not only IAM, decide who decrypts secrets.",
          "Set kms_key_id on the secret to the platform KMS key.", AT_REST),
    # --- Data stores ---
    _meta("rds-encrypted", "Databases encrypt storage", "high", "resource", RDS + t.RDS_GLOBAL_CLUSTER,
          "Database storage and snapshots hold embeddings, usage records and keys.",
          "Set storage_encrypted=True (and kms_key_id).", AT_REST),
    _meta("rds-not-public", "Databases are not publicly accessible", "critical", "resource",
          RDS + t.RDS_CLUSTER_INSTANCE, "A public database endpoint is reachable from the internet.",
          "Set publicly_accessible=False.", merge(BOUNDARY, STORES_NOT_PUBLIC)),
    _meta("rds-backup-retention", "Databases keep 7+ days of backups", "medium", "resource",
          RDS + t.DYNAMODB_TABLE,
          "Point-in-time recovery needs a retention window longer than the time to notice corruption.",
          "Set backup_retention_period to at least 7.", BACKUP),
    _meta("rds-deletion-protection-prod", "Production databases have deletion protection", "medium",
          "resource", RDS, "A mistaken `pulumi destroy` or replacement must not drop production data.",
          "Set deletion_protection=True for prod stacks.", CONTINUITY),
    _meta("elasticache-encryption", "ElastiCache encrypts at rest and in transit", "high", "resource",
          t.ELASTICACHE_REPLICATION_GROUP + t.ELASTICACHE_CLUSTER, "The gateway cache holds prompts and completions.",
          "Set at_rest_encryption_enabled=True and transit_encryption_enabled=True (mode 'required').",
          merge(AT_REST, IN_TRANSIT)),
    _meta("opensearch-encryption", "OpenSearch encrypts at rest, node-to-node and over HTTPS", "high",
          "resource", t.OPENSEARCH_DOMAIN, "The vector store holds document chunks and embeddings.",
          "Set encrypt_at_rest.enabled, node_to_node_encryption.enabled and "
          "domain_endpoint_options.enforce_https to True.", merge(AT_REST, IN_TRANSIT)),
    # --- Load balancing ---
    _meta("alb-https-listener", "Listeners serve HTTPS; HTTP only redirects", "high", "resource",
          t.LB_LISTENER, "Prompts and API keys must never cross the network in plaintext.",
          "Use protocol 'HTTPS' with certificate_arn; make port-80 listeners redirect to HTTPS.", IN_TRANSIT),
    _meta("alb-tls-policy", "Listeners use a TLS 1.2+ forward-secret policy", "high", "resource",
          t.LB_LISTENER, "Older ELB policies still negotiate TLS 1.0/1.1 and non-FS ciphers.",
          "Set ssl_policy to 'ELBSecurityPolicy-TLS13-1-2-2021-06' (or another listed policy).", IN_TRANSIT),
    _meta("alb-waf-associated", "Internet-facing load balancers have a WAF", "high", "stack",
          t.LB + t.WAF_ASSOCIATION, "A WAF filters injection, bots and volumetric abuse before the gateway.",
          "Add aws.wafv2.WebAclAssociation(resource_arn=<alb>.arn, web_acl_arn=<acl>.arn).", WEB_PROTECTION),
    _meta("alb-access-logs", "Load balancers write access logs", "medium", "resource", t.LB,
          "Access logs record every client request that reached the platform.",
          "Set access_logs={'enabled': True, 'bucket': <log bucket>}.", AUDIT),
    # --- Network and logs ---
    _meta("vpc-flow-logs", "VPCs record flow logs", "medium", "stack", t.VPC + t.FLOW_LOG,
          "Flow logs are the network evidence for incident investigation.",
          "Add aws.ec2.FlowLog(vpc_id=<vpc>.id, traffic_type='ALL', ...).", merge(MONITORING, AUDIT)),
    _meta("log-group-retention", "Log groups expire their data", "low", "resource", t.LOG_GROUP,
          "Logs kept forever keep personal data forever and cost money forever.",
          "Set retention_in_days.", merge(STORAGE_LIMITATION, CAPACITY)),
    _meta("log-group-retention-min", "Log groups keep a year of history", "medium", "resource", t.LOG_GROUP,
          "PCI DSS asks for 12 months of audit history; the EU AI Act for at least six months of logs.",
          "Set retention_in_days to 365 or more.", LOG_RETENTION),
    _meta("log-group-kms", "Log groups are KMS-encrypted", "medium", "resource", t.LOG_GROUP,
          "Application logs can contain prompts; a customer-managed key restricts who reads them.",
          "Set kms_key_id on the log group.", AT_REST),
    # --- IAM ---
    _meta("iam-no-wildcard-action", "IAM grants no wildcard actions", "critical", "resource",
          t.IAM_POLICY_DOCUMENTS, "`*` or `service:*` grants actions nobody reviewed, including future ones.",
          "Replace wildcard Action entries with the specific actions needed.", LEAST_PRIVILEGE),
    _meta("iam-no-wildcard-resource", "IAM write permissions name their resources", "medium", "resource",
          t.IAM_POLICY_DOCUMENTS, "A write on Resource `*` reaches every resource of that type in the account.",
          "Scope Resource to ARNs, or add a Condition (e.g. on aws:ResourceTag).", LEAST_PRIVILEGE,
          exceptions="Read-only actions (Describe*, List*, Get*) on `*` are allowed; many have no resource ARN."),
    _meta("iam-no-inverted-grants", "IAM grants use no NotAction or NotResource", "critical", "resource",
          t.IAM_POLICY_DOCUMENTS, "An Allow with NotAction or NotResource grants everything not listed, including "
          "actions and resources AWS adds later.",
          "Rewrite the statement with Action and Resource listing what is granted.", LEAST_PRIVILEGE),
    _meta("iam-no-broad-managed-policies", "No AWS-managed administrator or full-access policy is attached",
          "critical", "resource", t.IAM_POLICY_ATTACHMENTS + t.IAM_ROLE,
          "AdministratorAccess, PowerUserAccess and every *FullAccess policy grant whole services, whichever "
          "attachment resource carries them.",
          "Attach a customer-managed policy that lists the actions needed.", LEAST_PRIVILEGE),
    _meta("iam-no-static-credentials", "No long-lived IAM user credentials", "high", "resource",
          t.IAM_STATIC_CREDENTIALS,
          "Access keys and passwords never rotate on their own; roles and federation issue short-lived ones.",
          "Use EKS Pod Identity / IRSA roles for workloads and IAM Identity Center for people.",
          merge(AUTHENTICATION, KEY_ROTATION)),
    _meta("resource-not-public", "No resource policy, ACL or endpoint is open to anyone", "critical", "resource",
          t.S3_BUCKET + t.S3_BUCKET_POLICY + t.S3_ACL + t.S3_OBJECT + t.SQS_QUEUE + t.SQS_QUEUE_POLICY
          + t.SNS_TOPIC + t.SNS_TOPIC_POLICY + t.ECR_REPOSITORY_POLICY + t.ECR_PUBLIC_REPOSITORY + t.SECRET
          + t.SECRET_POLICY + t.KMS_KEY + t.LAMBDA_PERMISSION + t.LAMBDA_FUNCTION_URL,
          "A resource policy with Principal '*', a public ACL or an unauthenticated function URL hands the data "
          "or the function to the internet, whatever IAM says.",
          "Name the principals (accounts, services) or add a condition on aws:SourceAccount / aws:PrincipalOrgID "
          "/ aws:SourceVpce; use authorizationType AWS_IAM; remove public ACLs.", merge(ACCESS, BOUNDARY)),
    _meta("ecs-tasks-hardened", "ECS tasks are unprivileged and get no public IP", "high", "resource",
          t.ECS_TASK_DEFINITION + t.ECS_SERVICE,
          "A privileged or host-namespace task owns its instance; a public IP puts the task on the internet "
          "beside the load balancer.",
          "Drop privileged/root/host modes from containerDefinitions; set networkConfiguration.assignPublicIp "
          "false with private subnets and a NAT gateway.", merge(PRIVILEGED, BOUNDARY)),
    _meta("unreviewed-resource-type", "Every resource type is read by a policy or reviewed", "high", "stack",
          (t.STACK, *REVIEWED),
          "A policy pack that ignores types it does not know passes any new service unjudged; failing closed makes "
          "every type either checked or reviewed with a stated reason.",
          "Add a policy that reads the type, or add it to checks/unreviewed_resource_type.py REVIEWED with the "
          "reviewer's reason.", merge(INVENTORY, {"SOC 2": ("CC8.1",)}),
          exceptions="The project's own component resources (blueprints:*) and the stack create nothing and are "
                     "exempt; types in REVIEWED carry their reason in the policy source."),
    # --- Cost ---
    _meta("budget-exists", "A cost budget with alerts exists", "medium", "stack", t.BUDGET,
          "GPU spend can run away within hours; a budget alert is the last line of defence.",
          "Add aws.budgets.Budget(budget_type='COST', limit_amount=..., notifications=[...subscribers]).",
          merge(CLOUD_USE, CAPACITY)),
    _meta("aws-provider-default-tags", "AWS providers tag everything with owner and cost centre", "low",
          "stack", (t.AWS_PROVIDER,), "Tags are how cost and ownership are attributed and assets inventoried.",
          "Set default_tags.tags with preset, environment, owner and cost-center on every aws.Provider.",
          merge(INVENTORY, CLOUD_USE)),
    _meta("gpu-nodepool-limits", "Karpenter NodePools have limits", "high", "resource", t.KARPENTER_NODEPOOL,
          "Without limits a scale-out (or a bug) launches GPU instances until quotas stop it.",
          "Set spec.limits['nvidia.com/gpu'] (GPU pools) or spec.limits.cpu (others) from the sizing plan.",
          CAPACITY),
    # --- Supply chain ---
    _meta("helm-release-pinned", "Helm charts are pinned to exact versions", "medium", "resource",
          t.HELM_RELEASE, "An unpinned chart installs whatever was published last.",
          "Set version to an exact chart version in the one versions table.", SUPPLY_CHAIN),
    _meta("ecr-repository-hardened", "ECR repositories are immutable and scanned", "medium", "resource",
          t.ECR_REPOSITORY, "Immutable tags keep a deployed tag meaning one image; scans catch known CVEs.",
          "Set image_tag_mutability='IMMUTABLE' and image_scanning_configuration.scan_on_push=True.",
          merge(VULNERABILITIES, SUPPLY_CHAIN)),
    # --- Residency ---
    _meta("residency-allowlist", "Everything stays inside the residency allowlist", "critical", "stack",
          (t.AWS_PROVIDER,), "Personal data must not be stored or processed outside the agreed regions.",
          "Move the provider/resource to an allowed region, or amend stack config 'residency'.", RESIDENCY),
    _meta("gateway-provider-residency", "The gateway sends prompts only to providers and regions on the residency "
          "allowlist", "critical", "resource", t.K8S_CONFIGMAP + t.ECS_TASK_DEFINITION,
          "A hosted model provider processes every prompt it receives: a provider or region outside the agreed ones "
          "is a transfer of personal data out of the residency boundary.",
          "Use a provider region on the allowlist (Bedrock in an allowed AWS region, Azure OpenAI / Vertex AI in an "
          "allowed location), or add `<provider>:<region>` to residency.allowed_regions once it is agreed.",
          RESIDENCY),
    _meta("stack-context-valid", "Stack config is present and suppressions are current", "high", "stack",
          (t.STACK,),
          "Prod-only checks depend on stack config `environment`; without it they would silently pass, so a missing "
          "or unknown value fails the pack instead. An expired suppression is an exemption nobody re-approved.",
          "pulumi config set environment <dev|staging|prod>; renew an expired suppression in "
          "policies/suppressions.yaml with a new approval and expiry, or fix the resource and remove it.",
          {"SOC 2": ("CC8.1",), "ISO 27001": ("A.8.9",)}),
    _meta("residency-declared", "A residency allowlist is declared", "high", "stack", (t.AWS_PROVIDER,),
          "Residency cannot be enforced until the allowed regions are written down.",
          "Set stack config 'residency' to the allowed regions (e.g. ['eu-central-1', 'eu-west-1']).",
          RESIDENCY),
    # --- Kubernetes workloads ---
    _meta("k8s-service-not-public", "No Kubernetes Service opens an internet-facing load balancer", "high",
          "resource", t.K8S_SERVICE,
          "A LoadBalancer Service gets its own internet-facing NLB, bypassing the WAF and the gateway's auth.",
          "Annotate service.beta.kubernetes.io/aws-load-balancer-scheme: internal, or use ClusterIP behind the "
          "gateway.", merge(BOUNDARY, WEB_PROTECTION)),
    _meta("k8s-rbac-least-privilege", "Kubernetes RBAC and EKS access policies grant no administrator power",
          "critical", "resource", t.K8S_RBAC_ROLES + t.K8S_RBAC_BINDINGS + t.EKS_ACCESS_POLICY_ASSOCIATION,
          "cluster-admin, wildcard rules and escalation verbs give a pod or a person every Secret and every node.",
          "List verbs and resources in Roles; bind named roles; use AmazonEKSViewPolicy/AmazonEKSEditPolicy "
          "scoped to namespaces.", merge(LEAST_PRIVILEGE, PRIVILEGED)),
    _meta("k8s-run-as-non-root", "Containers run as non-root", "high", "resource", POD_BEARING,
          "Root in a container is one kernel bug away from root on a GPU node.",
          "Set securityContext.runAsNonRoot=true (and a non-zero runAsUser).", PRIVILEGED),
    _meta("k8s-no-privileged", "Containers are not privileged and cannot escalate", "critical", "resource",
          POD_BEARING, "A privileged container owns the node.",
          "Set securityContext.privileged=false and allowPrivilegeEscalation=false.", PRIVILEGED),
    _meta("k8s-capabilities-restricted", "Containers drop all capabilities", "high", "resource", POD_BEARING,
          "Capabilities are root privileges in pieces.",
          "Set securityContext.capabilities.drop=['ALL']; add only NET_BIND_SERVICE (GPU: IPC_LOCK).",
          PRIVILEGED,
          exceptions="GPU containers (nvidia.com/gpu requested) may add IPC_LOCK for pinned memory (RDMA/EFA, "
                     "NCCL)."),
    _meta("k8s-no-host-path", "Pods mount no hostPath volumes", "high", "resource",
          POD_BEARING + t.K8S_PERSISTENT_VOLUME,
          "hostPath exposes the node filesystem, including kubelet credentials.",
          "Use emptyDir (medium: Memory, with sizeLimit, for /dev/shm) or a PersistentVolumeClaim.", PRIVILEGED,
          exceptions="Model servers' larger /dev/shm is an emptyDir with medium Memory, not a hostPath."),
    _meta("k8s-no-host-namespaces", "Pods do not share host namespaces", "high", "resource", POD_BEARING,
          "hostNetwork/hostPID/hostIPC break the isolation between pods and the node.",
          "Remove hostNetwork, hostPID and hostIPC (or set them false).", merge(PRIVILEGED, SEGREGATION)),
    _meta("k8s-resources-set", "Containers set requests and limits", "medium", "resource", POD_BEARING,
          "Requests drive scheduling and Karpenter sizing; memory limits stop one pod starving a node.",
          "Set resources.requests.cpu/memory and resources.limits.memory (GPU: limits['nvidia.com/gpu']).",
          CAPACITY),
    _meta("k8s-probes", "Containers have readiness and liveness probes", "medium", "resource",
          (*t.K8S_POD, *t.K8S_SCALABLE, "kubernetes:apps/v1:DaemonSet", "kubernetes:core/v1:PodTemplate"),
          "Without probes, traffic reaches pods still loading weights and hung servers are never restarted.",
          "Add readinessProbe and livenessProbe (and a startupProbe for model loading).",
          merge(CONTINUITY, MONITORING)),
    _meta("k8s-image-pinned", "Images are pinned", "high", "resource", POD_BEARING,
          "`latest` changes under a running deployment; a pinned tag or digest is reviewable.",
          "Use an explicit version tag or an @sha256 digest in image.", SUPPLY_CHAIN),
    _meta("k8s-image-digest-prod", "Prod images are pinned by digest", "medium", "resource", POD_BEARING,
          "A tag can be re-pushed under a running deployment; a digest names exactly one image.",
          "Add the image's published sha256 digest to blueprints/versions.py (`digest`, with where it was read), "
          "or deploy your own images by the digest your registry returned.", SUPPLY_CHAIN,
          exceptions="Only prod stacks are checked; advisory while some upstream digests cannot be verified."),
    _meta("k8s-seccomp-runtime-default", "Pods use the RuntimeDefault seccomp profile", "medium", "resource",
          POD_BEARING, "Seccomp blocks syscalls that container breakouts rely on.",
          "Set securityContext.seccompProfile.type='RuntimeDefault' on the pod.", HARDENING),
    _meta("k8s-no-default-namespace", "Workloads are not in the default namespace", "low", "resource",
          POD_BEARING, "Named namespaces carry the network policies, quotas and pod-security labels.",
          "Set metadata.namespace.", SEGREGATION),
    _meta("k8s-namespace-pod-security", "Namespaces enforce a Pod Security Standard", "medium", "resource",
          t.K8S_NAMESPACE, "The admission controller backs up these policies at runtime.",
          "Label the namespace pod-security.kubernetes.io/enforce=restricted (or baseline).", HARDENING,
          exceptions="A namespace that must run privileged GPU system pods is labelled privileged and "
                     "suppressed with its reason."),
    _meta("k8s-pdb-for-replicated", "Replicated workloads have a PodDisruptionBudget (prod)", "medium", "stack",
          t.K8S_SCALABLE + t.K8S_PDB,
          "Node drains and Karpenter consolidation must not take all replicas down at once.",
          "Add a policy/v1 PodDisruptionBudget whose selector matches the pod labels.", CONTINUITY),
    _meta("k8s-model-server-ha-prod", "Model servers run 2+ replicas with a PDB (prod)", "high", "stack",
          t.K8S_SCALABLE + t.K8S_PDB + t.K8S_HPA + t.KEDA_SCALED_OBJECT,
          "One GPU node failure or drain must not take a model offline.",
          "Set the model's min replicas (spec.replicas / autoscaler minimum) >= 2 and add a PDB.",
          merge(CONTINUITY, AI_ROBUSTNESS)),
    _meta("k8s-networkpolicy-per-namespace", "Every workload namespace has a NetworkPolicy", "medium",
          "stack", POD_BEARING + t.K8S_NAMESPACE + t.K8S_NETWORK_POLICY,
          "Without a NetworkPolicy every pod can reach every other pod, including model servers directly.",
          "Add a networking.k8s.io/v1 NetworkPolicy (default deny plus the allowed flows) in the namespace.",
          SEGREGATION),
    # --- Gateway ---
    _meta("gateway-auth", "The gateway requires a master key from a secret", "critical", "resource",
          t.K8S_CONFIGMAP + t.ECS_TASK_DEFINITION,
          "An open gateway gives anyone free use of the GPUs and the hosted models.",
          "Set general_settings.master_key: os.environ/LITELLM_MASTER_KEY, fed from an External Secret.",
          AUTHENTICATION),
    _meta("gateway-ui-sso", "People sign in to the gateway's admin UI through the identity provider", "high",
          "stack", t.LB_LISTENER + t.LB_LISTENER_RULE,
          "LiteLLM's UI takes the master key as a password; behind the IdP only the organisation's people, with "
          "their MFA and leavers' accounts disabled, even reach the sign-in page.",
          "Set gateway.sso (issuer, endpoints, client_id; the client secret with pulumi config set --secret "
          "llm-platform:ssoClientSecret): the UI paths get a listener rule whose first action is authenticate-oidc.",
          {"SOC 2": ("CC6.1",), "ISO 27001": ("A.8.5",), "NIST 800-53": ("AC-3",)}),
    _meta("gateway-rate-limits", "The gateway rate-limits every model", "high", "resource",
          t.K8S_CONFIGMAP + t.ECS_TASK_DEFINITION,
          "Per-model rpm/tpm limits protect capacity and cost from a single noisy client.",
          "Set litellm_params.rpm and litellm_params.tpm on every model_list entry.",
          merge(CAPACITY, AI_ROBUSTNESS)),
    _meta("gateway-max-tokens", "The gateway caps max_tokens", "medium", "resource",
          t.K8S_CONFIGMAP + t.ECS_TASK_DEFINITION,
          "An uncapped completion length lets one request hold a GPU slot for minutes.",
          "Set litellm_params.max_tokens on every model_list entry, or register the ceiling hook "
          "(litellm_settings.callbacks: litellm_hooks.max_tokens_ceiling).", merge(CAPACITY, AI_ROBUSTNESS)),
    _meta("gateway-request-logging", "The gateway logs every request", "medium", "resource",
          t.K8S_CONFIGMAP + t.ECS_TASK_DEFINITION,
          "Record-keeping of AI system events needs per-request logs, not only metrics.",
          "Add an event sink to litellm_settings.success_callback (e.g. 's3_v2' or 'otel').",
          merge(AUDIT, {"EU AI Act": ("Art. 12",)})),
    _meta("gateway-pii-masking", "The gateway masks PII in prompts and in responses", "high", "resource",
          t.K8S_CONFIGMAP + t.ECS_TASK_DEFINITION,
          "Prompts carry personal data to models and logs; models repeat it, or produce it, in answers. Masking on "
          "the request side alone leaves every answer unfiltered.",
          "Set gateway.pii_masking (regulated presets mask both ways: guardrail mode [pre_call, post_call]); by "
          "hand: a default_on litellm_content_filter guardrail with MASK patterns in both modes.",
          {"GDPR": ("Art. 25", "Art. 32"), "PCI DSS": ("3.4.1",), "NIST 800-53": ("SI-15",)}),
)


@dataclass(frozen=True)
class RegisteredPolicy:
    meta: PolicyMeta
    module: ModuleType

    @property
    def check(self) -> Callable[..., Any]:
        return self.module.check

    @property
    def remediate(self) -> Callable[..., Any] | None:
        return getattr(self.module, "remediate", None)


def module_name(policy_id: str) -> str:
    return f"{__package__}.checks.{policy_id.replace('-', '_')}"


@cache
def registry() -> dict[str, RegisteredPolicy]:
    """Every policy by ID, with its check module imported."""
    return {m.id: RegisteredPolicy(m, importlib.import_module(module_name(m.id))) for m in METAS}
