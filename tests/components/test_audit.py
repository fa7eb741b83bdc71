"""Audit: object-locked audit buckets, one multi-region CloudTrail trail, EKS audit and VPC flow logs, and the
gateway's request-record settings."""

from __future__ import annotations

import json

import pytest

from blueprints.gateway.audit import BUCKET_ENV, GATEWAY_PREFIX, audit_logging_settings
from blueprints.presets import load_spec
from tests.conftest import EKS_PRESETS


def of_type(graph, type_: str):
    return [record for record in graph.resources if record.type == type_]


def by_bucket(graph, type_: str) -> dict[str, dict]:
    return {r.inputs["bucket"]: r.inputs for r in of_type(graph, type_)}


def test_regulated_audit_buckets_are_locked_archived_encrypted_and_logged(graph_of):
    graph = graph_of("regulated-industry", "prod")
    spec = load_spec("regulated-industry", "prod")
    audit = sorted(r.inputs["bucket"] for r in of_type(graph, "aws:s3/bucket:Bucket")
                   if r.inputs["bucket"].endswith("-audit"))
    assert audit == ["reg-prod-euc1-audit", "reg-prod-eun1-audit"]  # one per region: records stay in-region
    locks = by_bucket(graph, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    lifecycle = by_bucket(graph, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    encryption = by_bucket(
        graph, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    logging = by_bucket(graph, "aws:s3/bucketLogging:BucketLogging")
    buckets = {r.inputs["bucket"]: r.inputs for r in of_type(graph, "aws:s3/bucket:Bucket")}
    for name in audit:
        assert buckets[name]["objectLockEnabled"] is True
        assert locks[name]["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": spec.audit.retention_days}
        (rule,) = lifecycle[name]["rules"]
        assert rule["transitions"] == [{"days": spec.audit.archive_after_days, "storageClass": "GLACIER_IR"}]
        assert rule["expiration"]["days"] == spec.audit.retention_days
        sse = encryption[name]["rules"][0]["applyServerSideEncryptionByDefault"]
        assert sse["sseAlgorithm"] == "aws:kms" and sse["kmsMasterKeyId"].startswith("arn:aws:kms:")
        assert logging[name]["targetBucket"] == name.replace("-audit", "-audit-access-logs")


def test_every_audit_bucket_is_versioned_private_and_tls_only(graph_of):
    graph = graph_of("internal-ai", "prod")
    names = [r.inputs["bucket"] for r in of_type(graph, "aws:s3/bucket:Bucket") if "-audit" in r.inputs["bucket"]]
    versioning = by_bucket(graph, "aws:s3/bucketVersioning:BucketVersioning")
    blocks = by_bucket(graph, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    policies = by_bucket(graph, "aws:s3/bucketPolicy:BucketPolicy")
    assert len(names) == 2
    for name in names:
        assert versioning[name]["versioningConfiguration"]["status"] == "Enabled"
        assert all(blocks[name][key] for key in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                 "restrictPublicBuckets"))
        statements = json.loads(policies[name]["policy"])["Statement"]
        deny = next(s for s in statements if s["Effect"] == "Deny")
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_one_multi_region_trail_with_validation_kms_and_cloudwatch(graph_of):
    graph = graph_of("regulated-industry", "prod")
    (trail,) = of_type(graph, "aws:cloudtrail/trail:Trail")
    assert trail.region == "eu-central-1"
    inputs = trail.inputs
    assert inputs["isMultiRegionTrail"] and inputs["enableLogFileValidation"] and inputs["includeGlobalServiceEvents"]
    assert inputs["kmsKeyId"].startswith("arn:aws:kms:eu-central-1:")
    assert inputs["s3BucketName"] == "reg-prod-euc1-audit"
    assert inputs["cloudWatchLogsGroupArn"].endswith("/cloudtrail:*")
    policy = json.loads(by_bucket(graph, "aws:s3/bucketPolicy:BucketPolicy")["reg-prod-euc1-audit"]["policy"])
    write = next(s for s in policy["Statement"] if s.get("Sid") == "CloudTrailWrite")
    assert write["Condition"]["StringEquals"]["aws:SourceArn"].endswith(":trail/reg-prod-euc1-trail")


def test_no_trail_or_object_lock_where_the_preset_does_not_ask(graph_of):
    graph = graph_of("startup-mvp", "prod")
    assert not of_type(graph, "aws:cloudtrail/trail:Trail")
    assert not of_type(graph, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")


@pytest.mark.parametrize("preset", EKS_PRESETS)  # startup-mvp's public VPC logs WAF requests instead
def test_eks_audit_logs_and_vpc_flow_logs_are_on(graph_of, preset):
    graph = graph_of(preset, "prod")
    for cluster in of_type(graph, "aws:eks/cluster:Cluster"):
        assert "audit" in cluster.inputs["enabledClusterLogTypes"]
    assert len(of_type(graph, "aws:ec2/flowLog:FlowLog")) == len(load_spec(preset, "prod").regions)


def test_gateway_audit_settings_keep_prompts_only_when_allowed_and_masked():
    spec = load_spec("regulated-industry", "prod")
    settings = audit_logging_settings(spec)
    assert settings["callbacks"] == ["s3_v2"]
    assert settings["s3_callback_params"] == {"s3_bucket_name": f"os.environ/{BUCKET_ENV}",
                                              "s3_region_name": "os.environ/AWS_REGION", "s3_path": GATEWAY_PREFIX}
    assert settings["turn_off_message_logging"] is True
    allowed = load_spec("regulated-industry", "prod", overrides={"audit": {"log_prompts": True}})
    assert audit_logging_settings(allowed)["turn_off_message_logging"] is False  # pii_masking is on
    unmasked = load_spec("saas", "prod", overrides={"audit": {"log_prompts": True}})
    assert audit_logging_settings(unmasked)["turn_off_message_logging"] is True
