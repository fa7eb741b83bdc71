"""The feedback service (blueprints/feedback/api.py) against real servers: the gateway (the real LiteLLM proxy with
the gateway's ConfigMap) judges the caller's key and its quality callback attributes the answer in a real Redis;
ratings land in DynamoDB (moto server)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import httpx
import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from blueprints.feedback.api import create_app
from blueprints.feedback.protocol import ANSWER_KEY_PREFIX
from blueprints.feedback.settings import Settings
from blueprints.feedback.store import KEY, FeedbackStore
from tests.feedback.gateway import USER_KEY, Gateway, ask, eventually
from tests.support.litellm_proxy import MASTER_KEY

pytestmark = pytest.mark.integration
REGION = "us-east-1"


@dataclass
class Service:
    http: TestClient
    db: object
    table: str
    probes: list[str]
    """Every key check the service sent to the gateway (its URL path)."""


@pytest.fixture
def service(proxy: Gateway, moto_endpoint: str) -> Iterator[Service]:
    db = boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name=REGION, aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    table = f"feedback-{uuid.uuid4().hex[:8]}"
    db.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=[{"AttributeName": KEY, "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}])
    settings = Settings(table=table, gateway_url=proxy.url, redis_host="127.0.0.1", redis_port=proxy.redis_port)
    probes: list[str] = []

    async def record(request: httpx.Request) -> None:
        probes.append(request.url.path)

    gateway = httpx.AsyncClient(base_url=proxy.url, timeout=30.0, event_hooks={"request": [record]})
    app = create_app(settings, FeedbackStore(db, table), Redis(port=proxy.redis_port), gateway)
    with TestClient(app, base_url="http://feedback.test") as http:
        yield Service(http, db, table, probes)


def rate(service: Service, request_id: str, rating: int, key: str = USER_KEY, **extra: object) -> httpx.Response:
    return service.http.post("/v1/feedback", json={"request_id": request_id, "rating": rating, **extra},
                             headers={"Authorization": f"Bearer {key}"})


def answered(proxy: Gateway) -> str:
    """The id of a fresh answer, once the gateway attributed it."""
    answer_id = ask(proxy, "hello")
    client = redis.Redis(port=proxy.redis_port)
    eventually(lambda: client.get(f"{ANSWER_KEY_PREFIX}{answer_id}"))
    return answer_id


def counted(service: Service, proxy: Gateway, rating: str) -> float:
    families = text_string_to_metric_families(service.http.get("/metrics/").text)
    labels = {"model_group": proxy.model, "version": proxy.version, "variant": "", "rating": rating}
    return sum(sample.value for family in families for sample in family.samples
               if sample.name == "blueprints_feedback_total" and sample.labels == labels)


def test_a_rating_is_stored_with_the_version_that_answered_and_counted(proxy: Gateway, service: Service) -> None:
    answer_id = answered(proxy)
    response = rate(service, answer_id, -1, comment="wrong capital", tags=["factuality"])
    assert response.status_code == 201, response.text
    assert response.json() | {"created_at": 0} == {
        KEY: answer_id, "rating": -1, "comment": "wrong capital", "tags": ["factuality"], "model_group": proxy.model,
        "version": proxy.version, "variant": "", "created_at": 0}
    item = service.db.get_item(TableName=service.table, Key={KEY: {"S": answer_id}})["Item"]
    assert item["rating"] == {"N": "-1"} and item["version"] == {"S": proxy.version}
    assert counted(service, proxy, "down") == 1


def test_feedback_is_idempotent_per_answer(proxy: Gateway, service: Service) -> None:
    answer_id = answered(proxy)
    first = rate(service, answer_id, 1)
    again = rate(service, answer_id, 1, comment="clicked twice")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()  # the first rating wins, comment included
    changed = rate(service, answer_id, -1)
    assert changed.status_code == 409 and "already rated 1" in changed.json()["error"]["message"]
    assert service.db.scan(TableName=service.table)["Count"] == 1
    assert counted(service, proxy, "up") == 1 and counted(service, proxy, "down") == 0


def test_only_keys_the_gateway_accepts_may_rate_and_an_accepted_key_is_remembered(proxy: Gateway,
                                                                                   service: Service) -> None:
    answer_id = answered(proxy)
    assert rate(service, answer_id, 1, key="sk-not-a-gateway-key").status_code == 401
    assert service.http.post("/v1/feedback", json={"request_id": answer_id, "rating": 1}).status_code == 401
    assert service.probes == ["/v1/models"]  # no key, no question to the gateway
    assert rate(service, answer_id, 1, key=MASTER_KEY).status_code == 201
    assert rate(service, answer_id, 1, key=MASTER_KEY).status_code == 200
    assert service.probes == ["/v1/models"] * 2  # the accepted key was asked about once
    assert service.db.scan(TableName=service.table)["Count"] == 1


def test_unknown_answers_and_malformed_feedback_are_refused(proxy: Gateway, service: Service) -> None:
    unknown = rate(service, "chatcmpl-never-answered", 1)
    assert unknown.status_code == 404 and "chatcmpl-never-answered" in unknown.json()["error"]["message"]
    answer_id = answered(proxy)
    assert rate(service, answer_id, 5).status_code == 422
    assert rate(service, answer_id, 1, mood="happy").status_code == 422
    assert rate(service, answer_id, 1, tags=[f"t{i}" for i in range(11)]).status_code == 422
    too_long = rate(service, answer_id, 1, comment="x" * 2001)
    assert too_long.status_code == 400 and "at most 2000" in too_long.json()["error"]["message"]
    assert service.db.scan(TableName=service.table)["Count"] == 0
