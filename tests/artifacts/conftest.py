"""Shared by the artifact tests: moto-backed AWS and one artifacts bucket in it."""

import boto3
import pytest

from tests.operations.support import aws  # noqa: F401  (fixture)

BUCKET = "artifacts-test"


@pytest.fixture
def s3(aws):  # noqa: F811
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return client
