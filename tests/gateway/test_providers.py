"""Hosted providers besides Bedrock (OpenAI, Anthropic, Azure OpenAI, Vertex AI): the typed spec, the LiteLLM
deployments as the pinned LiteLLM reads them, their keys in the gateway, and the real proxy routing to fakes of
the OpenAI, Anthropic, Azure OpenAI and Vertex AI APIs (Vertex through a fake Google token endpoint), and falling
back from Bedrock to Anthropic."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.request import Request, urlopen

import pytest

from blueprints import program
from blueprints.engine.program import build_graph, run_under_mocks, stack_config
from blueprints.errors import BlueprintError, SpecError
from blueprints.gateway.fargate import container_definition
from blueprints.gateway.litellm_config import litellm_config
from blueprints.gateway.manifests import PROVIDER_KEYS_SECRET, environment
from blueprints.gateway.providers import provider_params
from blueprints.presets import load_spec
from tests.fakes.anthropic_backend import MESSAGES_PATH, FakeAnthropicBackend
from tests.fakes.azure_openai_backend import FakeAzureOpenAI
from tests.fakes.openai_backend import FakeOpenAIBackend
from tests.fakes.vertex_backend import FakeGoogleOAuth, FakeVertexGemini, usage
from tests.support.litellm_proxy import (
    LITELLM,
    MASTER_KEY,
    START_TIMEOUT_S,
    start_proxy,
    stop,
    wait_for,
    write_gateway_files,
)

LITELLM_PYTHON = LITELLM.parent / "python"
ANTHROPIC_KEY = "sk-ant-test-key"
OPENAI_KEY = "sk-openai-test-key"
AZURE_KEY = "azure-test-key"
AZURE = {"hosting": "azure", "model": "gpt-4.1-mini", "name": "chat-azure",
         "provider": {"api_base": "https://example-resource.openai.azure.com", "api_version": "2024-10-21",
                      "location": "swedencentral", "deployment": "gpt41mini"}}
VERTEX = {"hosting": "vertex", "model": "gemini-2.5-flash", "name": "chat-vertex",
          "provider": {"project": "example-project", "location": "europe-west4"}}
OPENAI = {"hosting": "openai", "model": "gpt-4.1-mini", "name": "chat-openai"}


def _with(*models: dict, **overrides) -> object:
    """startup-mvp prod plus `models` after its three (list overrides merge by index)."""
    return load_spec("startup-mvp", "prod", overrides={"serving": {"models": [{}, {}, {}, *models]}, **overrides})


def _entries(spec) -> dict[str, dict]:
    return {entry["model_name"]: entry for entry in litellm_config(spec, spec.regions[0])["model_list"]}


def test_startup_mvp_falls_back_from_bedrock_to_anthropic() -> None:
    spec = load_spec("startup-mvp", "prod")
    assert [m.hosting for m in spec.serving.models] == ["bedrock", "bedrock", "anthropic"]
    fallbacks = litellm_config(spec, spec.regions[0])["router_settings"]["fallbacks"]
    assert {"chat": ["chat-smart", "chat-anthropic"]} in fallbacks
    assert {"chat-smart": ["chat-anthropic"]} in fallbacks


@pytest.mark.parametrize(("override", "message"), [
    ({"hosting": "azure", "model": "gpt-4.1"},
     "serving.models[3].provider.api_base: required for hosting 'azure' (required: api_base, api_version, location)"),
    ({"hosting": "vertex", "model": "gemini-2.5-flash", "provider": {"location": "europe-west4"}},
     "serving.models[3].provider.project: required for hosting 'vertex' (required: project, location)"),
    ({**OPENAI, "provider": {"project": "p"}},
     "serving.models[3].provider.project: not used by hosting 'openai' (allowed: api_base)"),
    ({**OPENAI, "provider": {"location": "eu"}}, "serving.models[3].provider.location: not used by hosting 'openai'"),
    ({**OPENAI, "model": "claude-sonnet-4"}, "serving.models[3].model: unknown openai model 'claude-sonnet-4' "
                                             "(allowed: gpt-4.1, gpt-4.1-mini, gpt-4o-mini)"),
    ({**VERTEX, "gpu_pool": "l40s"}, "serving.models[3].gpu_pool: a vertex model runs on no GPU pool"),
])
def test_bad_provider_settings_fail_in_one_line_naming_the_path(override: dict, message: str) -> None:
    with pytest.raises(SpecError) as error:
        _with({"name": "extra", **override})
    assert message in str(error.value)
    assert len(str(error.value).splitlines()) == 1


def test_residency_admits_only_provider_regions_on_the_allowlist() -> None:
    allowed = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "anthropic:global", "azure:swedencentral"]
    spec = _with(AZURE, residency={"allowed_regions": allowed})
    assert [m.provider_region for m in spec.provider_models] == ["global", "swedencentral"]
    with pytest.raises(SpecError, match=r"serving\.models\[4\]\.provider\.location: 'vertex:europe-west4' is outside "
                                        r"residency\.allowed_regions \(allowed providers: anthropic:global, "
                                        r"azure:swedencentral\)"):
        _with(AZURE, VERTEX, residency={"allowed_regions": allowed})
    with pytest.raises(SpecError, match=r"serving\.models\[2\]\.hosting: 'anthropic' is not allowed because "
                                        r"compliance\.allow_hosted_models is false"):
        load_spec("startup-mvp", "prod", overrides={"compliance": {"allow_hosted_models": False}})


def _litellm(script: str, payload: object) -> object:
    """Run `script` in the pinned LiteLLM's own interpreter with `payload` on stdin; its JSON answer."""
    result = subprocess.run([str(LITELLM_PYTHON), "-c", script], input=json.dumps(payload), capture_output=True,
                            text=True, timeout=120, check=True,
                            env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not LITELLM_PYTHON.exists(), reason="LiteLLM venv missing: make litellm-venv")
def test_pinned_litellm_reads_every_provider_deployment() -> None:
    """Every provider key of the deployments (gateway/providers.py: limits and timeouts are the other tests')
    is a LiteLLM 1.81.16 deployment parameter (litellm/types/router.py LiteLLM_Params), and get_llm_provider
    resolves each `model` to the intended provider with the intended model ID."""
    spec = _with(OPENAI, AZURE, VERTEX)
    entries = _entries(spec)
    names = ["chat-anthropic", "chat-openai", "chat-azure", "chat-vertex"]
    params = [entries[name]["litellm_params"] for name in names]
    by_name = {model.name: model for model in spec.serving.models}
    assert all(params[i].items() >= provider_params(by_name[name]).items() for i, name in enumerate(names))
    answer = _litellm(
        "import json, sys, litellm\n"
        "from litellm.types.router import LiteLLM_Params\n"
        "params = json.load(sys.stdin)\n"
        "print(json.dumps({'fields': sorted(LiteLLM_Params.model_fields), 'routes': "
        "[list(litellm.get_llm_provider(model=p['model'], api_base=p.get('api_base'))[:2]) for p in params]}))\n",
        params)
    unknown = [key for name in names for key in provider_params(by_name[name]) if key not in answer["fields"]]
    assert unknown == []
    assert answer["routes"] == [["claude-sonnet-4-20250514", "anthropic"], ["gpt-4.1-mini", "openai"],
                                ["gpt41mini", "azure"], ["gemini-2.5-flash", "vertex_ai"]]
    assert entries["chat-azure"]["litellm_params"].items() >= {
        "api_base": "https://example-resource.openai.azure.com", "api_version": "2024-10-21",
        "api_key": "os.environ/AZURE_API_KEY", "region_name": "swedencentral"}.items()
    assert entries["chat-azure"]["model_info"]["base_model"] == "azure/gpt-4.1-mini"
    assert entries["chat-vertex"]["litellm_params"].items() >= {
        "vertex_project": "example-project", "vertex_location": "europe-west4",
        "vertex_credentials": "os.environ/VERTEX_CREDENTIALS"}.items()


def test_provider_keys_reach_the_gateway_from_secrets_manager() -> None:
    """EKS: each key from the External Secrets-synced `provider-keys` Secret; Fargate: each from one JSON key of
    the gateway's secret (ECS valueFrom `<arn>:<key>::`)."""
    spec = _with(OPENAI)
    env = {item["name"]: item.get("valueFrom") for item in environment(spec, "us-east-1", "h", "6379", "b")}
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        assert env[name] == {"secretKeyRef": {"name": PROVIDER_KEYS_SECRET, "key": name}}
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mvp-prod-use1/litellm-master-key-AbCdEf"
    refs = {name: f"{arn}:{name}::" for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")}
    container = container_definition(spec, "us-east-1", log_group="g", master_key_arn=f"{arn}:LITELLM_MASTER_KEY::",
                                     provider_key_refs=refs)
    assert [s["name"] for s in container["secrets"]] == ["LITELLM_MASTER_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"]
    assert all(s["valueFrom"].startswith(arn) for s in container["secrets"])


@dataclass
class Proxy:
    url: str
    anthropic: FakeAnthropicBackend
    openai: FakeOpenAIBackend
    azure: FakeAzureOpenAI
    vertex: FakeVertexGemini
    oauth: FakeGoogleOAuth


def _vertex_base(vertex: FakeVertexGemini) -> str:
    """Test-only address of the Vertex entry: with an `api_base` LiteLLM 1.81.16 calls `<api_base>:<endpoint>`
    (litellm/llms/vertex_ai/vertex_llm_base.py `_check_custom_proxy`), so the fake stands at the model's path as
    Vertex AI serves it (litellm/llms/vertex_ai/common_utils.py `_get_vertex_url`)."""
    where = VERTEX["provider"]
    return (f"{vertex.base_url}/v1/projects/{where['project']}/locations/{where['location']}/publishers/google/"
            f"models/{VERTEX['model']}")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    if not LITELLM.exists():
        pytest.skip("LiteLLM venv missing: make litellm-venv")
    with (FakeAnthropicBackend() as anthropic, FakeOpenAIBackend() as openai, FakeAzureOpenAI() as azure,
          FakeVertexGemini() as vertex, FakeGoogleOAuth() as oauth):
        spec = load_spec("startup-mvp", "prod", overrides={"serving": {"models": [
            {}, {}, {"provider": {"api_base": anthropic.base_url}},
            {**OPENAI, "provider": {"api_base": openai.base_url}},
            {**AZURE, "provider": {**AZURE["provider"], "api_base": azure.base_url}},
            {**VERTEX, "provider": {**VERTEX["provider"], "api_base": _vertex_base(vertex)}}]}})
        directory = tmp_path_factory.mktemp("providers")
        write_gateway_files(directory, spec, spec.regions[0])
        # Bedrock is unreachable (a closed port), so its models fail over; no AWS account is touched.
        process, url = start_proxy(directory, "config.yaml", spec, redis_port=1, extra_env={
            "ANTHROPIC_API_KEY": ANTHROPIC_KEY, "OPENAI_API_KEY": OPENAI_KEY, "AZURE_API_KEY": AZURE_KEY,
            "VERTEX_CREDENTIALS": oauth.service_account_json(VERTEX["provider"]["project"]),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_BEDROCK_RUNTIME_ENDPOINT": "http://127.0.0.1:9"})
        try:
            wait_for(f"{url}/health/liveliness", START_TIMEOUT_S, process)
            yield Proxy(url, anthropic, openai, azure, vertex, oauth)
        finally:
            stop(process)


def _chat(proxy: Proxy, model: str, **extra) -> tuple[int, bytes]:
    body = {"model": model, "messages": [{"role": "user", "content": "hello"}], "max_tokens": 3, **extra}
    request = Request(f"{proxy.url}/v1/chat/completions", data=json.dumps(body).encode(), method="POST",
                      headers={"Authorization": f"Bearer {MASTER_KEY}", "Content-Type": "application/json"})
    with urlopen(request, timeout=60) as response:
        return response.status, response.read()


@pytest.mark.integration
def test_anthropic_entry_reaches_the_messages_api_with_its_key(proxy: Proxy) -> None:
    status, body = _chat(proxy, "chat-anthropic")
    assert status == 200
    assert json.loads(body)["choices"][0]["message"]["content"] == "anthropic0 anthropic1 anthropic2 "
    request = proxy.anthropic.requests[-1]
    assert request.path == MESSAGES_PATH
    assert request.headers["x-api-key"] == ANTHROPIC_KEY and "anthropic-version" in request.headers
    assert request.body["model"] == "claude-sonnet-4-20250514"


@pytest.mark.integration
def test_anthropic_entry_streams(proxy: Proxy) -> None:
    status, body = _chat(proxy, "chat-anthropic", stream=True)
    assert status == 200
    chunks = [json.loads(line[6:]) for line in body.decode().splitlines()
              if line.startswith("data: ") and line != "data: [DONE]"]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "anthropic0 anthropic1 anthropic2 " and body.decode().rstrip().endswith("data: [DONE]")


@pytest.mark.integration
def test_openai_entry_reaches_the_chat_completions_api_with_its_key(proxy: Proxy) -> None:
    before = proxy.openai.request_count
    status, _ = _chat(proxy, "chat-openai")
    assert status == 200 and proxy.openai.request_count == before + 1
    request = proxy.openai.requests[-1]
    assert request.path == "/v1/chat/completions" and request.body["model"] == "gpt-4.1-mini"
    assert request.headers.get("Authorization", request.headers.get("authorization")) == f"Bearer {OPENAI_KEY}"


@pytest.mark.integration
def test_azure_entry_reaches_its_deployment_with_api_version_and_key(proxy: Proxy) -> None:
    status, body = _chat(proxy, "chat-azure")
    assert status == 200
    assert json.loads(body)["choices"][0]["message"]["content"] == "azure0 azure1 azure2 "
    request = proxy.azure.requests[-1]
    assert (request.deployment, request.api_version) == ("gpt41mini", "2024-10-21")
    assert request.headers["api-key"] == AZURE_KEY


def _vertex_cost_per_token() -> dict[str, float]:
    """gemini-2.5-flash's token prices in the pinned LiteLLM's cost map."""
    return _litellm("import json, sys, litellm\n"
                    "entry = litellm.model_cost[json.load(sys.stdin)]\n"
                    "print(json.dumps({k: entry[k] for k in ('input_cost_per_token', 'output_cost_per_token')}))\n",
                    VERTEX["model"])


@pytest.mark.integration
def test_vertex_entry_reaches_gemini_with_the_service_accounts_token_and_is_priced(proxy: Proxy) -> None:
    """The rendered `vertex_credentials` (a service-account JSON from the environment) is exchanged at its
    token_uri by google-auth for a bearer token, which the Gemini call carries; the answer is charged at the cost
    map's gemini-2.5-flash prices (`x-litellm-response-cost`, litellm/proxy/common_request_processing.py)."""
    body = {"model": "chat-vertex", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 3}
    request = Request(f"{proxy.url}/v1/chat/completions", data=json.dumps(body).encode(), method="POST",
                      headers={"Authorization": f"Bearer {MASTER_KEY}", "Content-Type": "application/json"})
    with urlopen(request, timeout=60) as response:
        status, cost, reply = response.status, response.headers["x-litellm-response-cost"], json.load(response)
    assert status == 200
    assert reply["choices"][0]["message"]["content"] == "vertex0 vertex1 vertex2 "
    seen = proxy.vertex.requests[-1]
    assert seen.path == f"{_vertex_base(proxy.vertex).removeprefix(proxy.vertex.base_url)}:generateContent"
    assert proxy.oauth.issued and seen.headers["authorization"] == f"Bearer {proxy.oauth.issued[-1]}"
    assert proxy.oauth.scopes[-1] == "https://www.googleapis.com/auth/cloud-platform"
    assert seen.body["contents"] == [{"role": "user", "parts": [{"text": "hello"}]}]
    tokens = usage(seen.body, 3)
    assert (reply["usage"]["prompt_tokens"], reply["usage"]["completion_tokens"]) == (
        tokens["promptTokenCount"], tokens["candidatesTokenCount"])
    prices = _vertex_cost_per_token()
    expected = (tokens["promptTokenCount"] * prices["input_cost_per_token"]
                + tokens["candidatesTokenCount"] * prices["output_cost_per_token"])
    assert float(cost) == pytest.approx(expected, rel=1e-6)


@pytest.mark.integration
def test_vertex_entry_streams(proxy: Proxy) -> None:
    status, body = _chat(proxy, "chat-vertex", stream=True)
    assert status == 200
    chunks = [json.loads(line[6:]) for line in body.decode().splitlines()
              if line.startswith("data: ") and line != "data: [DONE]"]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "vertex0 vertex1 vertex2 " and body.decode().rstrip().endswith("data: [DONE]")
    seen = proxy.vertex.requests[-1]
    assert seen.path.endswith(":streamGenerateContent?alt=sse")
    assert seen.headers["authorization"] == f"Bearer {proxy.oauth.issued[-1]}"


@pytest.mark.integration
def test_bedrock_failure_falls_back_to_anthropic(proxy: Proxy) -> None:
    before = len(proxy.anthropic.requests)
    status, body = _chat(proxy, "chat")
    assert status == 200
    assert json.loads(body)["choices"][0]["message"]["content"].startswith("anthropic0")
    assert len(proxy.anthropic.requests) == before + 1



def test_fargate_writes_the_keys_write_only_and_hands_each_json_key_to_the_task(graph_of) -> None:
    graph = graph_of("startup-mvp", "prod")
    versions = [r for r in graph.resources if r.type == "aws:secretsmanager/secretVersion:SecretVersion"]
    assert [v.inputs["secretStringWo"] for v in versions] == ["[secret]"]
    assert all("secretString" not in v.inputs for v in versions)
    task = next(r for r in graph.resources if r.type == "aws:ecs/taskDefinition:TaskDefinition")
    refs = {s["name"]: s["valueFrom"] for s in json.loads(task.inputs["containerDefinitions"])[0]["secrets"]}
    secret = next(r for r in graph.resources if r.type == "aws:secretsmanager/secret:Secret")
    assert refs == {name: f"{secret.outputs['arn']}:{name}::" for name in ("LITELLM_MASTER_KEY", "ANTHROPIC_API_KEY")}


def test_a_missing_key_stops_the_program_in_one_line() -> None:
    config = stack_config("startup-mvp", "prod")
    config.pop("llm-platform:anthropicApiKey")
    with pytest.raises(BlueprintError) as error:
        run_under_mocks(program.main, config, "startup-mvp-prod")
    assert str(error.value) == (
        "stack startup-mvp-prod: config llm-platform:anthropicApiKey is missing: serving.models use hosting "
        "'anthropic' (set an Anthropic API key: pulumi config set --secret llm-platform:anthropicApiKey <value>)")


def test_eks_syncs_the_keys_through_external_secrets() -> None:
    graph = build_graph("saas", "dev", overrides={"serving": {"models": [{}, {}, OPENAI]}})
    objects = [r.inputs for r in graph.resources if r.type.startswith("kubernetes:")]
    synced = [o for o in objects if o.get("kind") == "ExternalSecret" and o["metadata"]["name"] == PROVIDER_KEYS_SECRET]
    assert [[d["secretKey"] for d in o["spec"]["data"]] for o in synced] == [["OPENAI_API_KEY"]]
    assert all(d["remoteRef"]["property"] == d["secretKey"] for d in synced[0]["spec"]["data"])
    versions = [r for r in graph.resources if r.type == "aws:secretsmanager/secretVersion:SecretVersion"
                and PROVIDER_KEYS_SECRET in r.name]
    assert [v.inputs["secretStringWo"] for v in versions] == ["[secret]"]


def test_a_private_platform_needs_the_provider_hosts_on_its_egress_allowlist() -> None:
    """regulated-industry has no route to the internet but its egress allowlist (Network Firewall): a provider is
    reachable only through it. Hosts as LiteLLM 1.81.16 calls them (catalog/providers.py ProviderFacts.hosts)."""
    residency = ["eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1", "anthropic:global", "vertex:europe-west4"]
    base = {"residency": {"allowed_regions": residency}, "compliance": {"allow_hosted_models": True}}
    anthropic = {"name": "chat-anthropic", "hosting": "anthropic", "model": "claude-sonnet-4"}
    with pytest.raises(SpecError) as error:
        load_spec("regulated-industry", "prod", overrides={**base, "serving": {"models": [{}, {}, anthropic]}})
    assert str(error.value) == ("overrides.serving.models[2].hosting: 'anthropic' needs api.anthropic.com in "
                                "network.egress_allowlist on a private platform (allowed now: none)")
    with pytest.raises(SpecError, match=r"'vertex' needs europe-west4-aiplatform\.googleapis\.com, "
                                        r"oauth2\.googleapis\.com in network\.egress_allowlist"):
        load_spec("regulated-industry", "prod", overrides={**base, "serving": {"models": [{}, {}, VERTEX]}})
    spec = load_spec("regulated-industry", "prod", overrides={
        **base, "serving": {"models": [{}, {}, anthropic, VERTEX]},
        "network": {"egress_allowlist": ["api.anthropic.com", ".googleapis.com"]}})
    assert [m.hosting for m in spec.provider_models] == ["anthropic", "vertex"]
