"""The gateway's guardrails run by the real, pinned LiteLLM proxy (1.81.16, `.venv-litellm`) in front of a fake model
server on 127.0.0.1: response PII masking (blueprints/guardrails/litellm_pii.py) of answers that carry PII, whole and
streamed, values split across stream chunks, and what the audit record gets (counts per entity, never the values);
structured-output validation (litellm_schema.py) with its one retry and its error."""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
import yaml

from blueprints.catalog.metrics import LITELLM as LITELLM_EXPORTER
from blueprints.guardrails import pii
from blueprints.presets import load_spec
from tests.fakes.openai_backend import FakeOpenAIBackend
from tests.support.litellm_proxy import LITELLM, MASTER_KEY, START_TIMEOUT_S, start_proxy, stop, wait_for

pytestmark = pytest.mark.integration

ANSWER = ("Write to jane.doe@example.com or call +49 30 1234567. Card 4111 1111 1111 1111 is blocked; order "
          "1234567812345678 ships. Refund to DE89 3704 0044 0532 0130 00, NINO AB 12 34 56 C, Steuer-ID 86095742719.")
VALUES = ("jane.doe@example.com", "+49 30 1234567", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00",
          "AB 12 34 56 C", "86095742719")
MASKED = ("Write to [EMAIL] or call [PHONE]. Card [CARD] is blocked; order 1234567812345678 ships. Refund to [IBAN], "
          "NINO [UK_NINO], Steuer-ID [DE_STEUER_ID].")
AUDIT_PROBE = '''
import json, os
from litellm.integrations.custom_logger import CustomLogger

class Probe(CustomLogger):
    """Appends each request's prompt and guardrail information, as the audit logger gets them, to $AUDIT_PROBE."""
    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        record = (kwargs.get("standard_logging_object") or {}).get("guardrail_information")
        prompt = (kwargs.get("messages") or [{}])[-1].get("content")
        with open(os.environ["AUDIT_PROBE"], "a") as out:
            out.write(json.dumps({"prompt": prompt, "guardrails": record}, default=str) + "\\n")

probe = Probe()
'''


@dataclass
class Gateway:
    url: str
    backend: FakeOpenAIBackend
    audit: Path


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    if not LITELLM.exists():
        pytest.skip(f"LiteLLM proxy not installed at {LITELLM} (pip install 'litellm[proxy]==1.81.16' there)")
    directory = tmp_path_factory.mktemp("guardrails")
    # The guardrail file imports LiteLLM: it is copied, not imported here (LiteLLM has its own virtualenv).
    for name in ("pii.py", "litellm_decisions.py", "litellm_pii.py", "litellm_schema.py"):
        shutil.copy(Path(pii.__file__).with_name(name), directory / name)
    (directory / "audit_probe.py").write_text(AUDIT_PROBE)
    with FakeOpenAIBackend(name="guarded") as backend:
        config = {
            "model_list": [{"model_name": "guarded", "litellm_params": {
                "model": "openai/guarded", "api_base": backend.base_url, "api_key": "none"}}],
            "guardrails": [{"guardrail_name": "structured-output", "litellm_params": {
                "guardrail": "litellm_schema.StructuredOutputValidation", "mode": "post_call", "default_on": True}},
                {"guardrail_name": "pii-response-masking", "litellm_params": {
                "guardrail": "litellm_pii.ResponsePIIMasking", "mode": "post_call", "default_on": True}}],
            "litellm_settings": {"callbacks": ["audit_probe.probe", "prometheus"]},
            "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
        }
        (directory / "config.yaml").write_text(yaml.safe_dump(config))
        audit = directory / "audit.jsonl"
        spec = load_spec("regulated-industry", "dev", overrides={"observability": {"tracing": False}})
        process, url = start_proxy(directory, "config.yaml", spec, 0, extra_env={"AUDIT_PROBE": str(audit)})
        try:
            wait_for(f"{url}/health/liveliness", START_TIMEOUT_S, process)
            yield Gateway(url, backend, audit)
        finally:
            stop(process)


def ask(gateway: Gateway, answer: str | list[str], *, stream: bool, prompt: str | None = None) -> str:
    gateway.backend.answer = lambda body: answer
    body = {"model": "guarded", "messages": [{"role": "user", "content": prompt or f"status? {uuid.uuid4()}"}],
            "stream": stream}
    request = Request(f"{gateway.url}/v1/chat/completions", json.dumps(body).encode(),
                      {"Content-Type": "application/json", "Authorization": f"Bearer {MASTER_KEY}"})
    try:
        with urlopen(request, timeout=30) as response:
            if not stream:
                return json.load(response)["choices"][0]["message"]["content"]
            text = ""
            for line in response:
                if line.startswith(b"data: {"):
                    text += json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
            return text
    finally:
        gateway.backend.answer = None


def audit_record(gateway: Gateway, prompt: str, timeout_s: float = 10.0) -> list[dict]:
    """The guardrail information of the request with `prompt` (success logging runs after the response: bounded
    wait)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lines = gateway.audit.read_text().splitlines() if gateway.audit.exists() else []
        records = [json.loads(line) for line in lines]
        for record in records:
            if record["prompt"] == prompt:
                return record["guardrails"]
        time.sleep(0.05)
    raise AssertionError(f"no audit record of {prompt!r}")


def test_pii_in_whole_and_streamed_answers_is_masked_and_ids_stay(gateway: Gateway) -> None:
    assert ask(gateway, ANSWER, stream=False) == MASKED
    assert ask(gateway, ANSWER, stream=True) == MASKED


def test_values_split_across_stream_chunks_are_masked(gateway: Gateway) -> None:
    """Every value is cut inside itself: three characters per chunk."""
    chunks = [ANSWER[start:start + 3] for start in range(0, len(ANSWER), 3)]
    assert ask(gateway, chunks, stream=True) == MASKED


def test_the_audit_record_counts_decisions_without_the_values(gateway: Gateway) -> None:
    prompts = [f"audit {uuid.uuid4()}", f"audit {uuid.uuid4()}"]
    ask(gateway, ANSWER, stream=False, prompt=prompts[0])
    ask(gateway, "Nothing personal here.", stream=False, prompt=prompts[1])
    masked, passed = (audit_record(gateway, prompt) for prompt in prompts)
    expected = {"EMAIL": 1, "PHONE": 1, "CARD": 1, "IBAN": 1, "UK_NINO": 1, "DE_STEUER_ID": 1}
    [record] = [entry for entry in masked if entry["guardrail_name"] == "pii-response-masking"]
    assert record["masked_entity_count"] == expected
    assert not any(value in json.dumps(masked) for value in VALUES)
    [record] = [entry for entry in passed if entry["guardrail_name"] == "pii-response-masking"]
    assert record["guardrail_response"] == {"action": "passed", "entities": {}}


SCHEMA = {"type": "object", "properties": {"ticket": {"type": "integer"}, "priority": {"enum": ["low", "high"]}},
          "required": ["ticket", "priority"], "additionalProperties": False}


def ask_structured(gateway: Gateway, answers: list[str], *, stream: bool = False) -> tuple[int, dict]:
    """A json_schema request the backend answers with `answers` in turn (the last one repeated). A stream's answer
    comes back in the shape of a whole one (its deltas joined), with every SSE event under `events`."""
    served = iter(answers)
    gateway.backend.answer = lambda body: next(served, answers[-1])
    body = {"model": "guarded", "messages": [{"role": "user", "content": f"file it {uuid.uuid4()}"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "ticket", "schema": SCHEMA}},
            "stream": stream}
    request = Request(f"{gateway.url}/v1/chat/completions", json.dumps(body).encode(),
                      {"Content-Type": "application/json", "Authorization": f"Bearer {MASTER_KEY}"})
    try:
        with urlopen(request, timeout=30) as response:
            if not stream:
                return response.status, json.load(response)
            events = [json.loads(line[6:]) for line in response if line.startswith(b"data: {")]
            text = "".join(event["choices"][0]["delta"].get("content") or "" for event in events
                           if event.get("choices"))
            return response.status, {"choices": [{"message": {"content": text}}], "events": events}
    except HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    finally:
        gateway.backend.answer = None


@pytest.mark.parametrize("stream", [False, True])
def test_a_structured_answer_that_misses_the_schema_is_retried_once_with_the_reason(gateway: Gateway,
                                                                                    stream: bool) -> None:
    before = gateway.backend.request_count
    status, body = ask_structured(gateway, ['{"ticket": "42", "priority": "urgent"}',
                                            '{"ticket": 42, "priority": "high"}'], stream=stream)
    assert status == 200, body
    assert json.loads(body["choices"][0]["message"]["content"]) == {"ticket": 42, "priority": "high"}
    assert gateway.backend.request_count == before + 2
    feedback = gateway.backend.requests[-1].body["messages"][-1]["content"]
    assert feedback.startswith("Your answer does not match the required JSON schema (at ")


@pytest.mark.parametrize("stream", [False, True])
def test_a_second_miss_is_a_clear_error_and_no_third_call(gateway: Gateway, stream: bool) -> None:
    """Streamed too: the invalid answer is never sent, the client gets the same 502 (the stream had not started)."""
    before = gateway.backend.request_count
    status, body = ask_structured(gateway, ["Sure! Ticket 42, high priority."], stream=stream)
    assert status == 502, body
    assert "does not match the response_format JSON schema after 1 retry: not JSON" in body["error"]["message"]
    assert "Ticket 42" not in json.dumps(body)
    assert gateway.backend.request_count == before + 2


@pytest.mark.parametrize("stream", [False, True])
def test_a_valid_structured_answer_passes_untouched(gateway: Gateway, stream: bool) -> None:
    before = gateway.backend.request_count
    status, body = ask_structured(gateway, ['{"ticket": 7, "priority": "low"}'], stream=stream)
    assert (status, body["choices"][0]["message"]["content"]) == (200, '{"ticket": 7, "priority": "low"}')
    assert gateway.backend.request_count == before + 1


def guardrail_decisions(gateway: Gateway) -> dict[tuple[str, str], float]:
    """(guardrail, decision) -> count of post_call decisions, from the proxy's /metrics."""
    request = Request(f"{gateway.url}/metrics", headers={"Authorization": f"Bearer {MASTER_KEY}"})
    with urlopen(request, timeout=10) as response:
        text = response.read().decode()
    decisions = {}
    for labels, value in re.findall(r"^litellm_guardrail_requests_total\{([^}]*)\} (\S+)$", text, re.MULTILINE):
        label = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if label["hook_type"] == "post_call":
            decisions[label["guardrail_name"], label["status"]] = float(value)
    return decisions


def test_every_decision_is_counted_under_the_catalog_metric(gateway: Gateway) -> None:
    [catalogued] = [metric for metric in LITELLM_EXPORTER.metrics if metric.name == "litellm_guardrail_requests_total"]
    assert catalogued.labels == {"guardrail_name", "status", "hook_type"}
    before = guardrail_decisions(gateway)
    ask(gateway, ANSWER, stream=False)
    ask(gateway, ANSWER, stream=True)
    ask(gateway, "Nothing personal here.", stream=False)
    ask_structured(gateway, ['{"ticket": "42"}', '{"ticket": 42, "priority": "high"}'])
    after = guardrail_decisions(gateway)
    grown = {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}
    # The structured answer (after its retry) goes through the masking guardrail too: it passes.
    assert grown == {("pii-response-masking", "masked"): 2, ("pii-response-masking", "passed"): 2,
                     ("structured-output", "retried"): 1}
