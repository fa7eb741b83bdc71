"""Model artifacts: the checkpoint bucket and its log bucket, ECR repositories, cross-region replication."""

from __future__ import annotations

import json

import pytest

from blueprints.engine.graph import ResourceGraph


def of_type(graph: ResourceGraph, token: str, name_part: str = ""):
    return [r for r in graph.resources if r.type == token and name_part in r.name]


@pytest.fixture(scope="module")
def reg_prod(graph_of) -> ResourceGraph:
    """Two regions (eu-central-1 primary, eu-north-1)."""
    return graph_of("regulated-industry", "prod")


def test_checkpoint_bucket_is_versioned_kms_encrypted_private_logged_and_tls_only(reg_prod):
    buckets = of_type(reg_prod, "aws:s3/bucket:Bucket", "-models")
    assert sorted(b.name for b in buckets) == ["reg-prod-euc1-models", "reg-prod-eun1-models"]
    for region in ("euc1", "eun1"):
        name = f"reg-prod-{region}-models"
        versioning = of_type(reg_prod, "aws:s3/bucketVersioning:BucketVersioning", name)[0]
        assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
        sse = of_type(reg_prod, "aws:s3/bucketServerSideEncryptionConfiguration:"
                                "BucketServerSideEncryptionConfiguration", name)[0]
        default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
        assert default["sseAlgorithm"] == "aws:kms" and ":key/" in default["kmsMasterKeyId"]
        block = of_type(reg_prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name)[0].inputs
        assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                      "restrictPublicBuckets"))
        logging = next(r for r in of_type(reg_prod, "aws:s3/bucketLogging:BucketLogging") if r.name == name)
        assert logging.inputs["targetBucket"].startswith(f"reg-prod-{region}-model-logs-")
        policy = json.loads(next(r for r in of_type(reg_prod, "aws:s3/bucketPolicy:BucketPolicy")
                                 if r.name == name).inputs["policy"])
        assert {"Bool": {"aws:SecureTransport": "false"}} in [s.get("Condition") for s in policy["Statement"]]
        assert next(b for b in buckets if b.name == name).protect


def test_ecr_repositories_are_immutable_scanned_and_kms_encrypted(reg_prod):
    repositories = [r for r in of_type(reg_prod, "aws:ecr/repository:Repository")
                    if "blueprints:serving:ModelArtifacts" in r.urn]
    # The same names in both regions: ECR replication writes into the same-named repository.
    assert sorted(r.inputs["name"] for r in repositories) == ["reg-prod/triton-trtllm", "reg-prod/triton-trtllm",
                                                               "reg-prod/trtllm-serve", "reg-prod/trtllm-serve"]
    for repository in repositories:
        assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repository.inputs["encryptionConfigurations"][0]["encryptionType"] == "KMS"


def test_primary_region_replicates_bucket_and_images_to_the_other(reg_prod):
    (replication,) = of_type(reg_prod, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert replication.region == "eu-central-1"
    (rule,) = replication.inputs["rules"]
    assert rule["destination"]["bucket"].startswith("arn:aws:s3:::reg-prod-eun1-models-")
    assert ":eu-north-1:" in rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"]
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    (ecr,) = of_type(reg_prod, "aws:ecr/replicationConfiguration:ReplicationConfiguration")
    (ecr_rule,) = ecr.inputs["replicationConfiguration"]["rules"]
    assert [d["region"] for d in ecr_rule["destinations"]] == ["eu-north-1"]
    assert ecr_rule["repositoryFilters"] == [{"filter": "reg-prod/", "filterType": "PREFIX_MATCH"}]


def test_single_region_and_hosted_only_presets(graph_of):
    assert not of_type(graph_of("internal-ai", "prod"), "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    mvp = graph_of("startup-mvp", "prod")
    assert not of_type(mvp, "aws:ecr/repository:Repository")
    assert not [r for r in mvp.resources if r.type.startswith("blueprints:serving:Model")
                and r.type != "blueprints:serving:ModelServing"]
