"""The quality worker: empties the gateway's list of sampled answers (blueprints/feedback/litellm_quality.py) off
the request path and exports, on its own /metrics,

- `blueprints_prompt_cluster_total{model_group, cluster}`: sampled prompts by their nearest drift centroid
  (blueprints/feedback/drift.py; every cluster of a model group starts at 0, so PSI always has both windows);
- `blueprints_judge_score{model_group, version}` (histogram, 1-5): the judge model's score of a sampled answer,
  asked through the gateway with the evaluation's judge (blueprints/evaluation/judge.py) and the spec's rubric;
- `blueprints_judge_failures_total{model_group, version}`: judge calls that gave no score (also when the gateway
  refuses the worker's key: it reads the key file at start, so after a master-key rotation the pod needs a restart).

Run: `python -m blueprints.feedback.quality` with the FEEDBACK_* environment (blueprints/feedback/settings.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from redis.asyncio import Redis

from blueprints.errors import BlueprintError
from blueprints.evaluation.checks import CheckResult
from blueprints.evaluation.client import ChatClient
from blueprints.evaluation.golden import Case, Check
from blueprints.evaluation.judge import judge
from blueprints.feedback.drift import Clusters
from blueprints.feedback.settings import Settings

POP_TIMEOUT_S = 5
JUDGE_TIMEOUT_S = 60.0
SCORE_BUCKETS = (1.5, 2.5, 3.5, 4.5, 5.0)
log = logging.getLogger(__name__)


class QualityMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.clusters = Counter("blueprints_prompt_cluster", "Sampled prompts by nearest drift centroid",
                                ["model_group", "cluster"], registry=registry)
        self.scores = Histogram("blueprints_judge_score", "Judge scores (1-5) of sampled answers",
                                ["model_group", "version"], buckets=SCORE_BUCKETS, registry=registry)
        self.failures = Counter("blueprints_judge_failures", "Judge calls that gave no score",
                                ["model_group", "version"], registry=registry)


class QualityWorker:
    """`judge_client`: None = sampled answers are not judged (no judge model)."""

    def __init__(self, redis: Redis, settings: Settings, clusters: Clusters, metrics: QualityMetrics,
                 judge_client: ChatClient | None) -> None:
        self.redis, self.settings, self.clusters, self.metrics = redis, settings, clusters, metrics
        self.judge_client = judge_client if settings.judge_model else None
        self.rubric = Check(type="judge", value=settings.judge_rubric or "The answer is helpful.")
        self.groups: set[str] = set()

    async def step(self, timeout_s: float = POP_TIMEOUT_S) -> bool:
        """Handle one sample; False when none came within `timeout_s`."""
        popped = await self.redis.brpop([self.settings.samples_key], timeout=timeout_s)
        if popped is None:
            return False
        await self.handle(json.loads(popped[1]))
        return True

    async def handle(self, sample: dict[str, Any]) -> None:
        group, version, prompt = sample["model_group"], sample["version"], sample["prompt"]
        if sample.get("drift"):
            if group not in self.groups:
                for label in self.clusters.labels:
                    self.metrics.clusters.labels(group, label)
                self.groups.add(group)
            (cluster,) = await asyncio.to_thread(self.clusters.assign, [prompt])
            self.metrics.clusters.labels(group, cluster).inc()
        if sample.get("judge") and self.judge_client is not None:
            case = Case(id="online-sample", prompt=prompt, checks=(self.rubric,))
            try:
                result = await judge(self.judge_client, self.settings.judge_model, self.rubric, case,
                                     sample["answer"])
            except BlueprintError as error:  # the gateway refused the key (rotated?) or is unreachable
                result = CheckResult(type="judge", passed=False, score=0.0, detail=str(error))
            if result.detail:
                log.warning("judge gave no score for %s %s: %s", group, version, result.detail)
                self.metrics.failures.labels(group, version).inc()
            else:
                self.metrics.scores.labels(group, version).observe(result.score)

    async def run(self) -> None:
        while True:
            try:
                await self.step()
            except Exception:  # one bad sample or a Redis hiccup must not stop the worker
                log.exception("quality sample failed")
                await asyncio.sleep(1)


async def serve(settings: Settings) -> None:
    registry = CollectorRegistry()
    start_http_server(settings.metrics_port, registry=registry)
    redis = Redis(host=settings.redis_host, port=settings.redis_port, password=settings.redis_password or None,
                  ssl=settings.redis_ssl)
    key = Path(settings.gateway_key_file).read_text().strip() if settings.gateway_key_file else None
    async with ChatClient(f"{settings.gateway_url.rstrip('/')}/v1", key, JUDGE_TIMEOUT_S) as client:
        await QualityWorker(redis, settings, Clusters.shipped(), QualityMetrics(registry), client).run()


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    asyncio.run(serve(Settings.from_env()))


if __name__ == "__main__":
    main()
