"""Preflight against moto (EC2 regions, zones and instance type offerings; ECR; S3; STS).

moto 5.2.5 has no EC2 quotas in Service Quotas (`get_service_quota` answers NoSuchResource) and no Bedrock
control plane (`list_foundation_models`, `get_foundation_model_availability`, `get_inference_profile`:
NotImplementedError): those calls are answered by botocore's Stubber here.
"""

import io
import json

import boto3
import pytest

from blueprints.artifacts.manifest import file_key
from blueprints.artifacts.publish import publish
from blueprints.operations.preflight import Preflight, artifacts_bucket, pool_vcpus
from blueprints.presets import load_spec
from blueprints.progress import ProgressBar
from blueprints.versions import SERVING_IMAGE_TAGS
from tests.operations.support import Clients, inference_profile, model_access, model_summary

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
IMAGE_MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
               "digest": "sha256:" + "a" * 64},
    "layers": [],
})


def _quota(stubber, code, value):
    stubber.add_response("get_service_quota", {"Quota": {"QuotaCode": code, "Value": value}},
                         {"ServiceCode": "ec2", "QuotaCode": code})


def _seed(spec, tmp_path, region=REGION):
    """Create what `pulumi up` and the release pipeline would: the ECR image and every served version."""
    ecr = boto3.client("ecr", region_name=region)
    ecr.create_repository(repositoryName=f"{spec.name}-{spec.environment}/trtllm-serve")
    ecr.put_image(repositoryName=f"{spec.name}-{spec.environment}/trtllm-serve", imageManifest=IMAGE_MANIFEST,
                  imageTag=SERVING_IMAGE_TAGS["trtllm-serve"])
    s3 = boto3.client("s3", region_name=region)
    bucket = artifacts_bucket(spec, region, ACCOUNT)
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **location)
    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir(exist_ok=True)
    (checkpoint / "config.json").write_text("{}")
    for model in spec.self_hosted_models:
        for version in filter(None, (model.versions.stable, model.versions.candidate)):
            publish(s3, bucket, checkpoint, model.name, version, "fp8", model.checkpoint or "test",
                    progress=ProgressBar(1, stream=io.StringIO()))
    return bucket


@pytest.fixture
def internal_ai():
    return load_spec("internal-ai", "prod", regions=[REGION])


def test_all_clear_in_a_ready_account(aws, tmp_path, internal_ai):
    _seed(internal_ai, tmp_path)
    clients = Clients()
    quotas = clients.stub("service-quotas", REGION)
    # P on-demand: the h100 pool's peak (2) + surge (1) corp-large pods, one per zone: 3 x p5.48xlarge (192 vCPUs).
    _quota(quotas, "L-417A185B", 576)
    # G on-demand: corp-small stable and canary, 3 + 3 pods, paired per zone: 3 x g6e.12xlarge (48 vCPUs).
    _quota(quotas, "L-DB2E81BA", 144)
    rows = Preflight(internal_ai, clients).run()
    clients.verify()
    by_check = {row.check: row for row in rows}
    assert [row for row in rows if row.status == "fail"] == []
    assert set(by_check) == {
        "residency", "region-enabled", "availability-zones", "gpu-offerings:h100", "gpu-offerings:l40s",
        "quota:P-on-demand", "quota:G-on-demand", "bedrock", "image:trtllm-serve", "artifacts:corp-large",
        "artifacts:corp-small",
    }
    assert by_check["availability-zones"].detail == "3 of 3 needed: us-east-1a, us-east-1b, us-east-1c"
    assert by_check["quota:P-on-demand"].detail == (
        "Running On-Demand P instances (L-417A185B): 576 vCPUs, pools h100 need 576"
    )
    assert by_check["bedrock"].status == "skip"  # internal-ai sends nothing to hosted APIs
    artifact_rows = [row.detail for row in rows if row.check == "artifacts:corp-small"]
    assert artifact_rows == ["2026-10-01: published, matches manifest", "2026-11-01: published, matches manifest"]


def test_quota_shortfall_blocks_unless_the_pool_can_fall_back(aws, tmp_path):
    spec = load_spec("internal-ai", "dev", regions=[REGION])  # dev: spot first, on-demand fallback
    _seed(spec, tmp_path)
    clients = Clients()
    quotas = clients.stub("service-quotas", REGION)
    needed = {pool.name: pool_vcpus(spec, pool) for pool in spec.cluster.gpu_pools}
    _quota(quotas, "L-7212CCBC", 0)  # P spot
    _quota(quotas, "L-417A185B", 0)  # P on-demand
    _quota(quotas, "L-3819A6DF", 0)  # G spot
    _quota(quotas, "L-DB2E81BA", 10_000)  # G on-demand
    rows = {row.check: row for row in Preflight(spec, clients).run()}
    assert rows["quota:P-spot"].status == "fail"
    assert rows["quota:P-on-demand"].status == "fail"
    assert rows["quota:G-spot"].status == "warn"
    assert rows["quota:G-spot"].detail.endswith(
        f"need {needed['l40s'][1]}; request an increase of {needed['l40s'][1]} "
        "(the pools can fall back to their other capacity type)"
    )
    assert rows["quota:G-on-demand"].status == "pass"


def test_missing_offerings_image_and_corrupt_artifacts_are_blockers(aws, tmp_path):
    # eu-central-1 + eu-north-1, the large model on B200: the price snapshot has no row for p6-b200.48xlarge in
    # eu-central-1 (so the spec is valid), EC2's offerings there have none (so preflight blocks).
    spec = load_spec("regulated-industry", "prod", overrides={
        "cluster": {"gpu_pools": [{"name": "large", "gpu": "B200"}, {}]}, "serving": {"models": [{"tp": 1}]}})
    bucket = _seed(spec, tmp_path, "eu-central-1")
    boto3.client("s3", region_name="eu-central-1").put_object(
        Bucket=bucket, Key=file_key("reg-small", "2026-11-01", "config.json"), Body=b"{ }",
        Metadata={"sha256": "0" * 64},
    )
    boto3.client("ecr", region_name="eu-north-1").create_repository(repositoryName="reg-prod/trtllm-serve")
    clients = Clients()
    for region in spec.regions:
        quotas = clients.stub("service-quotas", region)
        _quota(quotas, "L-417A185B", 1000)
        _quota(quotas, "L-DB2E81BA", 1000)
    rows = {(row.check, row.region): row for row in Preflight(spec, clients).run()}
    assert rows[("gpu-offerings:large", "eu-central-1")].status == "fail"
    assert rows[("gpu-offerings:large", "eu-central-1")].detail.startswith("none of p6-b200.48xlarge is offered in")
    assert rows[("gpu-offerings:l40s", "eu-central-1")].status == "pass"
    assert rows[("artifacts:reg-small", "eu-central-1")].status == "fail"
    assert rows[("artifacts:reg-small", "eu-central-1")].detail == (
        "2026-11-01: config.json: size 3 bytes, manifest says 2"
    )
    assert rows[("image:trtllm-serve", "eu-north-1")].status == "fail"  # repository there, image never pushed
    assert rows[("artifacts", "eu-north-1")].status == "warn"  # bucket not created yet


SONNET_4, LLAMA_8B, TITAN = ("anthropic.claude-sonnet-4-20250514-v1:0", "meta.llama3-1-8b-instruct-v1:0",
                              "amazon.titan-embed-text-v2:0")
US_PROFILE_REGIONS = ["us-east-1", "us-east-2", "us-west-2"]


def _saas_bedrock(clients, summaries):
    """saas/dev calls llama-3.1-8b and claude-sonnet-4 (both profile-only in us-east-1) and embeds its semantic
    cache with titan-embed-text-v2 (on demand), in that order (Stubber: moto has no Bedrock control plane)."""
    stubber = clients.stub("bedrock", REGION)
    stubber.add_response("list_foundation_models", {"modelSummaries": summaries})
    return stubber


def test_bedrock_models_offered_missing_and_legacy(aws):
    spec = load_spec("saas", "dev", regions=[REGION])
    clients = Clients()
    bedrock = _saas_bedrock(clients, [model_summary(REGION, SONNET_4, "INFERENCE_PROFILE"),
                                      model_summary(REGION, TITAN, lifecycle="LEGACY")])
    bedrock.add_response("get_foundation_model_availability", model_access(SONNET_4), {"modelId": SONNET_4})
    bedrock.add_response("get_inference_profile", inference_profile(REGION, f"us.{SONNET_4}", US_PROFILE_REGIONS),
                         {"inferenceProfileIdentifier": f"us.{SONNET_4}"})
    bedrock.add_response("get_foundation_model_availability", model_access(TITAN), {"modelId": TITAN})
    rows = {row.check: row for row in Preflight(spec, clients).run()}
    clients.verify()
    assert rows["bedrock:claude-sonnet-4"].status == "pass"
    assert rows["bedrock:claude-sonnet-4"].detail == f"{SONNET_4} offered, access granted through us.{SONNET_4}"
    assert rows["bedrock:llama-3.1-8b"].status == "fail"
    assert rows["bedrock:llama-3.1-8b"].detail == "meta.llama3-1-8b-instruct-v1:0 is not offered in us-east-1"
    assert rows["bedrock:titan-embed-text-v2"].status == "warn"
    assert {rows[name].status for name in ("quota", "image", "artifacts")} == {"skip"}


def test_a_missing_profile_and_an_ungranted_model_are_blockers(aws):
    """One line per model: access not granted to the account; the profile the gateway calls does not exist."""
    spec = load_spec("saas", "dev", regions=[REGION])
    clients = Clients()
    bedrock = _saas_bedrock(clients, [model_summary(REGION, LLAMA_8B, "INFERENCE_PROFILE"),
                                      model_summary(REGION, SONNET_4, "INFERENCE_PROFILE"),
                                      model_summary(REGION, TITAN)])
    bedrock.add_response("get_foundation_model_availability", model_access(LLAMA_8B, "NOT_AUTHORIZED"))
    bedrock.add_response("get_foundation_model_availability", model_access(SONNET_4))
    bedrock.add_client_error("get_inference_profile", service_error_code="ResourceNotFoundException",
                             service_message="The specified inference profile was not found", http_status_code=404)
    bedrock.add_response("get_foundation_model_availability", model_access(TITAN))
    rows = {row.check: row for row in Preflight(spec, clients).run() if row.check.startswith("bedrock")}
    clients.verify()
    assert {name: (row.status, row.detail) for name, row in rows.items()} == {
        "bedrock:llama-3.1-8b": ("fail", f"{LLAMA_8B}: model access not granted in us-east-1 "
                                         "(authorizationStatus NOT_AUTHORIZED): request it in the console"),
        "bedrock:claude-sonnet-4": ("fail", f"inference profile us.{SONNET_4} is not available in us-east-1"),
        "bedrock:titan-embed-text-v2": ("pass", f"{TITAN} offered, access granted"),
    }


def test_a_profile_routing_where_iam_does_not_allow_and_a_bare_id_that_would_fail(aws):
    """AWS added a destination Region the gateway's IAM does not name (requests routed there would be denied);
    Bedrock lists a model the catalog calls on demand as profile-only (the bare ID would fail)."""
    spec = load_spec("saas", "dev", regions=[REGION])
    clients = Clients()
    bedrock = _saas_bedrock(clients, [model_summary(REGION, LLAMA_8B, "INFERENCE_PROFILE"),
                                      model_summary(REGION, SONNET_4, "INFERENCE_PROFILE"),
                                      model_summary(REGION, TITAN, "INFERENCE_PROFILE")])
    bedrock.add_response("get_foundation_model_availability", model_access(LLAMA_8B))
    bedrock.add_response("get_inference_profile", inference_profile(REGION, f"us.{LLAMA_8B}", US_PROFILE_REGIONS))
    bedrock.add_response("get_foundation_model_availability", model_access(SONNET_4))
    bedrock.add_response("get_inference_profile",
                         inference_profile(REGION, f"us.{SONNET_4}", [*US_PROFILE_REGIONS, "ca-central-1"]))
    rows = {row.check: row for row in Preflight(spec, clients).run() if row.check.startswith("bedrock")}
    clients.verify()
    assert rows["bedrock:llama-3.1-8b"].status == "pass"
    assert (rows["bedrock:claude-sonnet-4"].status, rows["bedrock:claude-sonnet-4"].detail) == (
        "fail", f"inference profile us.{SONNET_4} routes to ca-central-1, which the gateway's IAM does not grant: "
                "add them to its destination_regions in blueprints/catalog/hosted.py")
    assert (rows["bedrock:titan-embed-text-v2"].status, rows["bedrock:titan-embed-text-v2"].detail) == (
        "fail", f"{TITAN} is invocable in us-east-1 only through an inference profile; the catalog "
                "(blueprints/catalog/hosted.py) calls it on demand")


def test_a_check_that_cannot_run_fails_closed(aws, internal_ai, tmp_path):
    _seed(internal_ai, tmp_path)
    clients = Clients()
    clients.stub("service-quotas", REGION).add_client_error(
        "get_service_quota", service_error_code="AccessDeniedException", service_message="not allowed"
    )
    [row] = [row for row in Preflight(internal_ai, clients).run() if row.check == "quota"]
    assert (row.status, row.detail) == ("fail", "cannot check: AccessDeniedException: not allowed")
