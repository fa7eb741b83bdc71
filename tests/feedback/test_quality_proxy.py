"""The gateway's quality callback (blueprints/feedback/litellm_quality.py) on the real, pinned LiteLLM proxy: every
answer's id is attributed in Redis to the model group that answered, and refusals, output tokens and JSON validity
appear on the proxy's own /metrics."""

from __future__ import annotations

import json

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from blueprints.catalog import metrics as m
from blueprints.evaluation import version_model
from blueprints.feedback.protocol import ANSWER_KEY_PREFIX, ANSWER_TTL_S
from tests.experiments.test_ab_proxy import EXPERIMENT
from tests.feedback.gateway import Gateway, ask, eventually, metrics

pytestmark = pytest.mark.integration


def samples(proxy: Gateway) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(metrics(proxy)) for sample in family.samples}


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.parametrize("stream", [False, True])
def test_every_answer_is_attributed_in_redis_for_the_feedback_ttl(proxy: Gateway, stream: bool) -> None:
    answer_id = ask(proxy, "hello", stream=stream)
    client = redis.Redis(port=proxy.redis_port)
    entry = eventually(lambda: client.get(f"{ANSWER_KEY_PREFIX}{answer_id}"))
    attribution = json.loads(entry)
    assert attribution == {"model_group": proxy.model, "version": proxy.version, "variant": ""}
    assert 0 < client.ttl(f"{ANSWER_KEY_PREFIX}{answer_id}") <= ANSWER_TTL_S


def test_an_ab_answer_is_attributed_to_its_variant_and_version(proxy: Gateway) -> None:
    # test_ab_proxy's experiment: header X-Segment=beta -> variant treatment (the candidate version).
    version = EXPERIMENT["variants"]["treatment"]
    answer_id = ask(proxy, "hello", model=EXPERIMENT["model"], headers={"X-Segment": "beta"})
    entry = eventually(lambda: redis.Redis(port=proxy.redis_port).get(f"{ANSWER_KEY_PREFIX}{answer_id}"))
    assert json.loads(entry) == {"model_group": version_model(EXPERIMENT["model"], version), "version": version,
                                 "variant": f"{EXPERIMENT['name']}/treatment"}


def test_refusals_output_tokens_and_json_validity_are_on_the_proxys_metrics(proxy: Gateway) -> None:
    before = samples(proxy)
    client = redis.Redis(port=proxy.redis_port)
    ids = [ask(proxy, "refuse"), ask(proxy, "json", json_format=True), ask(proxy, "broken", json_format=True),
           ask(proxy, "broken"), ask(proxy, "plain"), ask(proxy, "refuse", stream=True),
           ask(proxy, "json", stream=True, json_format=True)]
    entries = [json.loads(eventually(lambda i=i: client.get(f"{ANSWER_KEY_PREFIX}{i}"))) for i in ids]
    assert {(entry["model_group"], entry["version"]) for entry in entries} == {(proxy.model, proxy.version)}
    group, version = proxy.model, proxy.version
    after = samples(proxy)  # counted before answering, tokens before the attribution is stored

    def delta(name: str, **labels: str) -> float:
        labels = {"model_group": group, "version": version, **labels}
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("blueprints_answers_total") == len(ids)
    assert delta("blueprints_answer_refusals_total") == 2
    assert delta("blueprints_json_answers_total", valid="true") == 2
    # "broken" asked without a JSON response_format is not a JSON answer
    assert delta("blueprints_json_answers_total", valid="false") == 1
    assert delta("blueprints_answer_output_tokens_count") == len(ids)
    assert delta("blueprints_answer_output_tokens_sum") > 0


def test_the_metric_catalog_lists_what_the_proxy_exposes(proxy: Gateway) -> None:
    ask(proxy, "json", json_format=True)
    ask(proxy, "broken", json_format=True)
    catalog = {sample: labels for metric in m.GATEWAY_QUALITY.metrics for sample, labels in metric.samples().items()}
    exposed: dict[str, set[frozenset[str]]] = {}
    for family in text_string_to_metric_families(metrics(proxy)):
        for sample in family.samples:  # prometheus_client's `<counter>_created` timestamps are not series we read
            if sample.name.startswith("blueprints_") and not sample.name.endswith("_created"):
                exposed.setdefault(sample.name, set()).add(frozenset(sample.labels))
    assert {name: {catalog.get(name)} for name in exposed} == exposed
    assert set(exposed) == set(catalog)
