"""The quality worker (blueprints/feedback/quality.py) against real servers: the gateway (the real LiteLLM proxy on
the gateway's ConfigMap, sampling every answer) queues prompts and answers in a real Redis; the worker counts each
prompt under its drift cluster and has the judge model score each answer through the same gateway (a
deterministic fake judge behind it), and exposes both under the catalog's names and labels."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator

import pytest
import redis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from blueprints.catalog import metrics as m
from blueprints.evaluation.client import ChatClient
from blueprints.feedback.drift import Clusters
from blueprints.feedback.protocol import SAMPLES_KEY
from blueprints.feedback.quality import QualityMetrics, QualityWorker
from blueprints.feedback.settings import Settings
from blueprints.observability.series import exported_series
from blueprints.presets import load_spec
from tests.feedback.gateway import REFUSAL, Gateway, ask, eventually, judge_score
from tests.support.litellm_proxy import MASTER_KEY

pytestmark = pytest.mark.integration
QUESTIONS = ["What is the capital of France?", "refuse", "Extract the invoice number and total as JSON.",
             "Write a short poem about the sea.", "Summarise the attached contract clause in two sentences."]
JUDGE = "corp-large"


@pytest.fixture
def queue(proxy: Gateway) -> Iterator[redis.Redis]:
    client = redis.Redis(port=proxy.redis_port)
    client.delete(SAMPLES_KEY)  # samples of the package's other tests
    yield client
    client.delete(SAMPLES_KEY)


def exposed(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(generate_latest(registry).decode())
            for sample in family.samples}


async def drain(proxy: Gateway, registry: CollectorRegistry, count: int, key: str = MASTER_KEY) -> None:
    settings = Settings(table="unused", gateway_url=proxy.url, redis_host="127.0.0.1", redis_port=proxy.redis_port,
                        judge_model=JUDGE, judge_rubric="The answer is correct and helpful.")
    async with ChatClient(f"{proxy.url}/v1", key, 30.0) as client:
        worker = QualityWorker(Redis(port=proxy.redis_port), settings, Clusters.shipped(), QualityMetrics(registry),
                               client)
        handled = [await worker.step(timeout_s=5) for _ in range(count)]
    assert handled == [True] * count


def test_sampled_answers_get_drift_clusters_and_judge_scores(proxy: Gateway, queue: redis.Redis) -> None:
    for question in QUESTIONS:
        ask(proxy, question)
    eventually(lambda: True if queue.llen(SAMPLES_KEY) == len(QUESTIONS) else None)
    registry = CollectorRegistry()
    asyncio.run(drain(proxy, registry, len(QUESTIONS)))

    found, labels = exposed(registry), {"model_group": proxy.model, "version": proxy.version}
    clusters = {dict(key)["cluster"]: value for (name, key), value in found.items() if name == m.PROMPT_CLUSTERS}
    expected = Counter(Clusters.shipped().assign(QUESTIONS))
    assert clusters == {f"c{index}": float(expected[f"c{index}"]) for index in range(8)}  # every cluster exported
    judged = {name: value for (name, key), value in found.items()
              if name.startswith(m.JUDGE_SCORE) and dict(key) == labels}
    scores = [judge_score(f"Answer to grade: {REFUSAL if q == 'refuse' else 'x'}") for q in QUESTIONS]
    assert (judged[f"{m.JUDGE_SCORE}_count"], judged[f"{m.JUDGE_SCORE}_sum"]) == (len(QUESTIONS), sum(scores))
    assert scores.count(1) == 1 and found.get((m.JUDGE_FAILURES, tuple(sorted(labels.items()))), 0.0) == 0.0

    # The judge's own calls went through the same gateway and were not sampled: the next sample is a user's.
    ask(proxy, "One more question")
    eventually(lambda: True if queue.llen(SAMPLES_KEY) >= 1 else None)
    assert [json.loads(entry)["prompt"] for entry in queue.lrange(SAMPLES_KEY, 0, -1)] == ["One more question"]


def test_a_refused_judge_key_counts_a_failure_and_the_worker_goes_on(proxy: Gateway, queue: redis.Redis) -> None:
    for question in QUESTIONS[:2]:
        ask(proxy, question)
    eventually(lambda: True if queue.llen(SAMPLES_KEY) == 2 else None)
    registry = CollectorRegistry()
    asyncio.run(drain(proxy, registry, 2, key="sk-rotated-away"))
    found, labels = exposed(registry), tuple(sorted({"model_group": proxy.model, "version": proxy.version}.items()))
    assert found[(m.JUDGE_FAILURES, labels)] == 2.0
    assert sum(v for (name, _), v in found.items() if name == m.PROMPT_CLUSTERS) == 2.0  # drift still counted


def test_the_exposed_series_are_the_catalogs() -> None:
    registry = CollectorRegistry()
    metrics = QualityMetrics(registry)
    metrics.clusters.labels("g", "c0").inc()
    metrics.scores.labels("g", "v").observe(4)
    metrics.failures.labels("g", "v").inc()
    known = exported_series(load_spec("internal-ai", "prod"))
    for name, labels in exposed(registry):
        if name.endswith("_created"):
            continue
        assert name in known, name
        assert all(known[name].has(label) for label, _ in labels), (name, labels)
