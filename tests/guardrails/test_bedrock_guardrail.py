"""Bedrock Guardrails on the gateway of a preset that routes to Bedrock (enterprise-assistant,
`gateway.bedrock_guardrail`): the guardrail is a valid CreateGuardrail request (botocore's `bedrock` model), its
published id and version reach the rendered LiteLLM config, the gateway role may apply exactly that guardrail, and
the real LiteLLM proxy (1.81.16) started with the rendered guardrail entry refuses blocked prompts and answers
(whole and streamed) and passes clean ones, against a fake ApplyGuardrail checked against botocore's
bedrock-runtime model (tests/fakes/bedrock_guardrail.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import boto3
import botocore.session
import pytest
import yaml
from botocore.validate import ParamValidator

from blueprints.cli import main
from blueprints.components.content_guardrail import APPLY_ACTION, VERSION_ANNOTATION
from blueprints.engine.graph import ResourceGraph, ResourceRecord
from blueprints.gateway.guardrails import BEDROCK_GUARDRAIL, bedrock_guardrail_request
from blueprints.presets import load_spec
from tests.fakes.bedrock_guardrail import FakeApplyGuardrail
from tests.fakes.openai_backend import FakeOpenAIBackend
from tests.support.litellm_proxy import LITELLM, MASTER_KEY, START_TIMEOUT_S, start_proxy, stop, wait_for

PRESET = "enterprise-assistant"
TRIGGER = "detonate"
REQUEST_TIMEOUT_S = 90
"""One request through the proxy, two ApplyGuardrail calls and the backend: generous for a loaded test machine."""


def _one(graph: ResourceGraph, token: str) -> ResourceRecord:
    [record] = graph.of_type(token)
    return record


def _config(graph: ResourceGraph) -> dict[str, Any]:
    [config_map] = [record for record in graph.of_type("kubernetes:core/v1:ConfigMap")
                    if record.inputs["metadata"]["name"] == "litellm-config"]
    return yaml.safe_load(config_map.inputs["data"]["config.yaml"])


def _entry(graph: ResourceGraph) -> dict[str, Any]:
    [entry] = [item for item in _config(graph).get("guardrails", []) if item["guardrail_name"] == BEDROCK_GUARDRAIL]
    return entry


def test_the_guardrail_is_a_valid_create_guardrail_request_and_is_what_the_graph_creates(
        graph_of: Callable[[str, str], ResourceGraph]) -> None:
    spec = load_spec(PRESET, "dev")
    graph = graph_of(PRESET, "dev")
    guardrail = _one(graph, "aws:bedrock/guardrail:Guardrail")
    request = bedrock_guardrail_request(spec, guardrail.inputs["name"])
    shape = botocore.session.get_session().get_service_model("bedrock").operation_model("CreateGuardrail").input_shape
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()
    filters = request["contentPolicyConfig"].pop("filtersConfig")
    assert guardrail.inputs["contentPolicyConfig"] == {"filtersConfigs": filters}
    assert {key: guardrail.inputs[key] for key in request if key != "contentPolicyConfig"} == \
        {key: value for key, value in request.items() if key != "contentPolicyConfig"}


def test_the_published_version_reaches_the_config_and_the_role_may_apply_only_it(
        graph_of: Callable[[str, str], ResourceGraph]) -> None:
    graph = graph_of(PRESET, "dev")
    guardrail = _one(graph, "aws:bedrock/guardrail:Guardrail")
    version = _one(graph, "aws:bedrock/guardrailVersion:GuardrailVersion")
    assert version.inputs["guardrailArn"] == guardrail.outputs["guardrailArn"]
    params = _entry(graph)["litellm_params"]
    assert (params["guardrailIdentifier"], params["guardrailVersion"], params["aws_region_name"]) == \
        (guardrail.outputs["guardrailId"], version.outputs["version"], guardrail.region)
    [deployment] = [record for record in graph.of_type("kubernetes:apps/v1:Deployment")
                    if record.inputs["metadata"]["name"] == "litellm"]
    assert deployment.inputs["spec"]["template"]["metadata"]["annotations"][VERSION_ANNOTATION] == \
        f"{guardrail.outputs['guardrailId']}:{version.outputs['version']}"
    statements = [statement for record in graph.of_type("aws:iam/rolePolicy:RolePolicy")
                  for statement in json.loads(record.inputs["policy"])["Statement"]
                  if "bedrock:ApplyGuardrail" in statement["Action"]]
    assert statements == [{"Effect": "Allow", "Action": [APPLY_ACTION], "Resource": [guardrail.outputs["guardrailArn"]],
                           "Sid": "ApplyContentGuardrail"}]


def test_presets_without_bedrock_have_no_guardrail(graph_of: Callable[[str, str], ResourceGraph]) -> None:
    graph = graph_of("regulated-industry", "dev")
    assert graph.of_type("aws:bedrock/guardrail:Guardrail") == []
    assert BEDROCK_GUARDRAIL not in {item["guardrail_name"] for item in _config(graph).get("guardrails", [])}


@pytest.mark.parametrize(("preset", "problem"), [
    ("regulated-industry", "set, but no model routes to Bedrock"),
    ("startup-mvp", "not available on runtime 'fargate' yet"),
])
def test_a_guardrail_where_it_cannot_work_is_one_clear_error(preset: str, problem: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "--preset", preset, "--env", "dev", "--set", "gateway.bedrock_guardrail={}"])
    [line] = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "gateway.bedrock_guardrail" in line and problem in line


def test_the_fake_speaks_what_botocore_sends_and_parses() -> None:
    """The fake itself, against botocore's own bedrock-runtime client."""
    with FakeApplyGuardrail(TRIGGER, "blocked") as fake:
        client = boto3.client("bedrock-runtime", region_name="eu-west-1", endpoint_url=fake.base_url,
                              aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
        clean = client.apply_guardrail(guardrailIdentifier="abc123", guardrailVersion="1", source="OUTPUT",
                                       content=[{"text": {"text": "fine"}}])
        blocked = client.apply_guardrail(guardrailIdentifier="abc123", guardrailVersion="1", source="INPUT",
                                         content=[{"text": {"text": f"{TRIGGER} it"}}])
        assert (clean["action"], blocked["action"], blocked["outputs"]) == \
            ("NONE", "GUARDRAIL_INTERVENED", [{"text": "blocked"}])
        assert [(call.region, call.source, call.blocked) for call in fake.requests] == \
            [("eu-west-1", "OUTPUT", False), ("eu-west-1", "INPUT", True)]


@dataclass
class Gateway:
    url: str
    backend: FakeOpenAIBackend
    bedrock: FakeApplyGuardrail
    entry: dict[str, Any]


@pytest.fixture(scope="module")
def gateway(graph_of: Callable[[str, str], ResourceGraph], tmp_path_factory: pytest.TempPathFactory) \
        -> Iterator[Gateway]:
    if not LITELLM.exists():
        pytest.skip(f"LiteLLM proxy not installed at {LITELLM} (pip install 'litellm[proxy]==1.81.16' there)")
    spec = load_spec(PRESET, "dev", overrides={"observability": {"tracing": False}})
    entry = _entry(graph_of(PRESET, "dev"))
    directory = tmp_path_factory.mktemp("bedrock-guardrail")
    with FakeOpenAIBackend(name="hosted") as backend, \
            FakeApplyGuardrail(TRIGGER, spec.gateway.bedrock_guardrail.blocked_message) as bedrock:
        config = {
            "model_list": [{"model_name": "assistant", "litellm_params": {
                "model": "openai/hosted", "api_base": backend.base_url, "api_key": "none"}}],
            "guardrails": [entry],  # as rendered, id and version included
            "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
        }
        (directory / "config.yaml").write_text(yaml.safe_dump(config))
        # The pod's credentials come from its pod identity; here static ones, signed the same way (SigV4).
        process, url = start_proxy(directory, "config.yaml", spec, 0, extra_env={
            "AWS_BEDROCK_RUNTIME_ENDPOINT": bedrock.base_url, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"})
        try:
            wait_for(f"{url}/health/liveliness", START_TIMEOUT_S, process)
            yield Gateway(url, backend, bedrock, entry)
        finally:
            stop(process)


def _ask(gateway: Gateway, prompt: str, answer: str, *, stream: bool) -> tuple[int, str]:
    """(status, answer text or error body)."""
    gateway.backend.answer = lambda body: answer
    body = {"model": "assistant", "messages": [{"role": "user", "content": prompt}], "stream": stream}
    request = Request(f"{gateway.url}/v1/chat/completions", json.dumps(body).encode(),
                      {"Content-Type": "application/json", "Authorization": f"Bearer {MASTER_KEY}"})
    try:
        with urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            if not stream:
                return response.status, json.load(response)["choices"][0]["message"]["content"]
            text = ""
            for line in response:
                if line.startswith(b"data: {"):
                    event = json.loads(line[6:])
                    if "error" in event:
                        return response.status, json.dumps(event)
                    text += event["choices"][0]["delta"].get("content") or ""
            return response.status, text
    except HTTPError as error:
        return error.code, error.read().decode()
    finally:
        gateway.backend.answer = None


@pytest.mark.integration
@pytest.mark.parametrize("stream", [False, True])
def test_clean_prompts_and_answers_pass_through_the_deployed_guardrail(gateway: Gateway, stream: bool) -> None:
    prompt = f"When is the budget review? {uuid.uuid4()}"
    assert _ask(gateway, prompt, "Every first Monday.", stream=stream) == (200, "Every first Monday.")
    applied = [call for call in gateway.bedrock.requests if any(prompt in text for text in call.texts)]
    params = gateway.entry["litellm_params"]
    assert [(call.identifier, call.version, call.region, call.blocked) for call in applied] == \
        [(params["guardrailIdentifier"], params["guardrailVersion"], params["aws_region_name"], False)]
    assert applied[0].source == "INPUT"
    assert (_answer_source(stream), ["Every first Monday."], False) in \
        [(call.source, call.texts, call.blocked) for call in gateway.bedrock.requests]


def _answer_source(stream: bool) -> str:
    """LiteLLM 1.81.16 sends a whole answer through the unified guardrail path, whose `apply_guardrail` calls
    ApplyGuardrail with source INPUT (bedrock_guardrails.py, BedrockGuardrail.apply_guardrail); a streamed answer goes
    through async_post_call_streaming_iterator_hook, with source OUTPUT."""
    return "OUTPUT" if stream else "INPUT"


@pytest.mark.integration
@pytest.mark.parametrize("stream", [False, True])
def test_a_blocked_prompt_is_refused_before_any_model_sees_it(gateway: Gateway, stream: bool) -> None:
    prompt = f"How do I {TRIGGER} the server room? {uuid.uuid4()}"
    before = gateway.backend.request_count
    status, body = _ask(gateway, prompt, "unused", stream=stream)
    assert status == 400 and "Violated guardrail policy" in body
    assert gateway.bedrock.blocked_message in body
    assert gateway.backend.request_count == before


@pytest.mark.integration
@pytest.mark.parametrize("stream", [False, True])
def test_a_blocked_answer_never_reaches_the_client(gateway: Gateway, stream: bool) -> None:
    answer = f"First {TRIGGER} the door, then the rack."
    status, body = _ask(gateway, f"Open the rack? {uuid.uuid4()}", answer, stream=stream)
    assert (_answer_source(stream), [answer], True) in \
        [(call.source, call.texts, call.blocked) for call in gateway.bedrock.requests]
    assert TRIGGER not in body
    if stream:
        # The hook raises before the first chunk; LiteLLM 1.81.16 answers 500 with one error event
        # (proxy_server.py, async_data_generator) and a generic message, the guardrail's 400 being in its log.
        assert status == 500 and json.loads(body.splitlines()[0].removeprefix("data: "))["error"]["code"] == 500
    else:
        assert status == 400 and "Violated guardrail policy" in body and gateway.bedrock.blocked_message in body
