"""LiteLLM proxy callback that records every answer and its online quality signals (`callbacks:
[litellm_quality.quality_signals]`).

This file runs inside the LiteLLM image, not in the blueprints package: it imports only LiteLLM, its dependencies
(redis, prometheus_client) and the standard library, and reads its settings from `quality_signals.json` beside it
(written by blueprints/feedback/gateway.py: the refusal and JSON-fence patterns of blueprints/evaluation/checks.py,
so online and offline scoring agree). For every successful answer it

- stores `<key prefix><answer id>` -> `{"model_group", "version", "variant"}` in the gateway's Redis for the
  feedback TTL, so the feedback service can attribute a rating to the model version that answered (the answer id is
  the `id` of the response the client got: LiteLLM's standard logging payload's `id`);
- counts, per model group and version (the answering deployment's `model_info.version`), on the proxy's own
  /metrics: answers, refusals (the refusal pattern matches the answer), output tokens (a histogram), and answers to
  a JSON `response_format` request by validity;
- samples a fraction of answers (`samples` in the settings: for drift, for the judge) into a capped Redis list
  that the quality worker (blueprints/feedback/quality.py) empties: the push runs as a task of its own after the
  answer is scored, so the client never waits for it. The judge's own requests are never sampled.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import re
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

from litellm.integrations.custom_logger import CustomLogger
from prometheus_client import Counter, Histogram
from redis import Redis

CONFIG_FILE_NAME = "quality_signals.json"
CONFIG_FILE = Path(__file__).with_name(CONFIG_FILE_NAME)
AB_TAG_PREFIX = "ab:"
JSON_FORMATS = ("json_object", "json_schema")
METADATA_KEYS = ("metadata", "litellm_metadata")
TOKEN_BUCKETS = (16, 64, 256, 1024, 4096, 16384)
log = logging.getLogger(__name__)

ANSWERS = Counter("blueprints_answers", "Answers the gateway returned", ["model_group", "version"])
REFUSALS = Counter("blueprints_answer_refusals", "Answers that read as a refusal", ["model_group", "version"])
OUTPUT_TOKENS = Histogram("blueprints_answer_output_tokens", "Output tokens per answer", ["model_group", "version"],
                          buckets=TOKEN_BUCKETS)
JSON_ANSWERS = Counter("blueprints_json_answers", "Answers to a JSON response_format request, by validity",
                       ["model_group", "version", "valid"])


def answer_text(response: Any) -> str:
    """The first choice's text of a chat or text completion ('' when there is none)."""
    choices = getattr(response, "choices", None) or []
    if not choices:
        return ""
    message = getattr(choices[0], "message", None)
    return str((getattr(message, "content", None) if message is not None else getattr(choices[0], "text", None))
               or "")


def wants_json(data: dict[str, Any]) -> bool:
    response_format = data.get("response_format")
    return isinstance(response_format, dict) and response_format.get("type") in JSON_FORMATS


def valid_json(text: str, fence: re.Pattern[str]) -> bool:
    fenced = fence.match(text)
    try:
        json.loads(fenced.group(1) if fenced else text)
    except ValueError:
        return False
    return True


def message_text(message: Any) -> str:
    """A chat message's text (its string content, or the text parts of a multi-part content)."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        return " ".join(str(part.get("text") or "") for part in content if isinstance(part, dict))
    return str(content or "")


def prompt_of(data: dict[str, Any]) -> tuple[str, str]:
    """(system text, last user text) of a chat request; a text completion's prompt as the user text."""
    messages = data.get("messages") or []
    if not isinstance(messages, list):
        return "", ""
    system = next((message_text(m) for m in messages if isinstance(m, dict) and m.get("role") == "system"), "")
    user = next((message_text(m) for m in reversed(messages) if isinstance(m, dict) and m.get("role") == "user"),
                str(data.get("prompt") or ""))
    return system, user


def variant_of(tags: list[str]) -> str:
    """`<experiment>/<variant>` from the A/B tag `ab:<experiment>:<variant>` (experiments/litellm_ab.py), or ''."""
    for tag in tags:
        if tag.startswith(AB_TAG_PREFIX) and tag.count(":") == 2:
            return "/".join(tag.split(":")[1:])
    return ""


REDIS_TIMEOUT_S = 5.0


def redis_from_env() -> Redis:
    """The gateway's Redis, from the environment LiteLLM's cache reads (REDIS_HOST, REDIS_PORT, ...). A blocking
    client (thread-safe pool), used from worker threads: an asyncio client opened in a callback hung inside the
    proxy (LiteLLM 1.81.16 runs logging callbacks on its own worker), and a hung write cancelled every later
    success callback of the request."""
    return Redis(host=os.environ["REDIS_HOST"], port=int(os.environ.get("REDIS_PORT", "6379")),
                 password=os.environ.get("REDIS_PASSWORD") or None,
                 ssl=os.environ.get("REDIS_SSL", "").lower() == "true", socket_timeout=REDIS_TIMEOUT_S,
                 socket_connect_timeout=REDIS_TIMEOUT_S)


def deployment_of(data: dict[str, Any]) -> tuple[str, str]:
    """(model group, version) of the deployment the router picked, from the request's metadata."""
    for key in METADATA_KEYS:
        metadata = data.get(key) or {}
        if metadata.get("model_group"):
            return str(metadata["model_group"]), str((metadata.get("model_info") or {}).get("version") or "")
    return str(data.get("model") or ""), ""


class QualitySignals(CustomLogger):
    """Text signals in the proxy's post-call hooks (the answer as the client gets it: logging callbacks see it
    redacted where prompts are not logged); output tokens and the attribution in the success log event (its
    token count and id are those of the streamed answer too)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        super().__init__()
        self.refusal = re.compile(settings["refusal_pattern"], re.IGNORECASE)
        self.fence = re.compile(settings["fence_pattern"], re.DOTALL)
        self.key_prefix: str = settings["key_prefix"]
        self.ttl_s: int = settings["answer_ttl_s"]
        self.samples: dict[str, Any] = settings["samples"]
        self.redis: Redis | None = None
        self.pushes: set[asyncio.Task[None]] = set()

    def connection(self) -> Redis:
        self.redis = self.redis or redis_from_env()
        return self.redis

    def _push(self, entry: str) -> None:
        key = self.samples["key"]
        self.connection().pipeline(transaction=False).lpush(key, entry).ltrim(
            key, 0, self.samples["max_queued"] - 1).execute()

    def score(self, data: dict[str, Any], text: str) -> None:
        group, version = deployment_of(data)
        ANSWERS.labels(group, version).inc()
        if self.refusal.search(text):
            REFUSALS.labels(group, version).inc()
        if wants_json(data):
            JSON_ANSWERS.labels(group, version, str(valid_json(text, self.fence)).lower()).inc()
        self.sample(data, text, group, version)

    def sample(self, data: dict[str, Any], text: str, group: str, version: str) -> None:
        """Queue this answer for the quality worker when drawn for drift or the judge (a task: off the answer)."""
        drift = random.random() < self.samples["drift_fraction"]
        judge = random.random() < self.samples["judge_fraction"]
        if not (drift or judge) or not os.environ.get("REDIS_HOST"):
            return
        system, prompt = prompt_of(data)
        if not prompt or system == self.samples["judge_instructions"]:
            return
        limit = self.samples["max_chars"]
        entry = json.dumps({"model_group": group, "version": version, "drift": drift, "judge": judge,
                            "prompt": prompt[:limit], "answer": text[:limit]})
        task = asyncio.get_running_loop().create_task(self.push(entry))
        self.pushes.add(task)
        task.add_done_callback(self.pushes.discard)

    async def push(self, entry: str) -> None:
        try:
            await asyncio.to_thread(self._push, entry)
        except Exception as error:  # a lost sample must never surface in the gateway
            log.warning("quality sample not queued: %s", error)

    async def async_post_call_success_hook(self, data: dict, user_api_key_dict: Any, response: Any) -> Any:
        if getattr(response, "choices", None) is not None:
            self.score(data, answer_text(response))
        return response

    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict: Any, response: Any,
                                                      request_data: dict) -> AsyncGenerator[Any, None]:
        parts: list[str] = []
        async for chunk in response:
            choices = getattr(chunk, "choices", None) or []
            delta = getattr(choices[0], "delta", None) if choices else None
            parts.append(str(getattr(delta, "content", None) or ""))
            yield chunk
        self.score(request_data, "".join(parts))

    async def async_log_success_event(self, kwargs: dict, response_obj: Any, start_time: Any, end_time: Any) -> None:
        record = kwargs.get("standard_logging_object") or {}
        group = str(record.get("model_group") or kwargs.get("model") or "")
        version = str(((kwargs.get("litellm_params") or {}).get("model_info") or {}).get("version") or "")
        OUTPUT_TOKENS.labels(group, version).observe(int(record.get("completion_tokens") or 0))
        answer_id = record.get("id")
        if answer_id and os.environ.get("REDIS_HOST"):  # the gateway has Redis where it runs more than one process
            entry = {"model_group": group, "version": version,
                     "variant": variant_of(list(record.get("request_tags") or []))}
            await asyncio.to_thread(self.connection().set, f"{self.key_prefix}{answer_id}", json.dumps(entry),
                                    ex=self.ttl_s)


def load(path: Path = CONFIG_FILE) -> dict[str, Any]:
    return json.loads(path.read_text())


quality_signals = QualitySignals(load())
