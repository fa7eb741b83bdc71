"""A/B routing by user segment through the real, pinned LiteLLM proxy running the gateway's own ConfigMap (internal-ai
prod with an experiment on corp-small: control = stable, treatment = candidate), each version's Service rewritten
to a fake backend that says which version answered.

Without LiteLLM's database there are no virtual keys, so the test gives the proxy a `custom_auth` function (a
LiteLLM config feature) that maps test keys to the team / key alias LiteLLM's own key lookup would return: the
hook sees the same `UserAPIKeyAuth` object either way.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
import yaml

from blueprints.cli import main
from blueprints.experiments.gateway import TAG_PREFIX, VARIANT_HEADER
from blueprints.gateway.manifests import CONFIG_KEY
from blueprints.presets import load_spec, preset_document
from blueprints.serving.manifests import service_url, version_name
from tests.fakes.openai_backend import FakeOpenAIBackend
from tests.support.litellm_proxy import (
    LITELLM,
    MASTER_KEY,
    REDIS,
    START_TIMEOUT_S,
    redis_server,
    start_proxy,
    stop,
    wait_for,
    write_gateway_files,
)

pytestmark = pytest.mark.integration
STABLE, CANDIDATE = "2026-10-01", "2026-11-01"
EXPERIMENT = {"name": "prompt-v2", "model": "corp-small",
              "variants": {"control": STABLE, "treatment": CANDIDATE},
              "split": {"control": 70, "treatment": 30},
              "rules": [{"header": "X-Segment=beta", "variant": "treatment"},
                        {"team": "research", "variant": "control"},
                        {"key": "partner-app", "variant": "treatment"}]}
USERS = 300
"""Distinct users for the split; 30 % of 300 is 90 with a binomial standard deviation of ~7.9."""
SPLIT_BOUND = 32
"""Four standard deviations: the hash would have to be badly skewed to miss."""
CONCURRENCY = 8
TIMEOUT_S = 30
RECORD_WAIT_S = 10.0
CUSTOM_AUTH = f'''
from litellm.proxy._types import UserAPIKeyAuth

KEYS = {{"{MASTER_KEY}": {{}},
        "sk-research": {{"team_id": "team-7", "team_alias": "research", "key_alias": "lab"}},
        "sk-partner": {{"key_alias": "partner-app"}}}}


async def user_api_key_auth(request, api_key):
    token = api_key.removeprefix("Bearer ").strip()
    if token not in KEYS:
        raise Exception("unknown key")
    return UserAPIKeyAuth(api_key=token, **KEYS[token])
'''
RECORDER = '''
import json
from pathlib import Path

from litellm.integrations.custom_logger import CustomLogger


class Recorder(CustomLogger):
    """Appends LiteLLM's standard logging payload of every request to requests.jsonl (what the audit sink stores)."""

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        with Path(__file__).with_name("requests.jsonl").open("a") as sink:
            sink.write(json.dumps(kwargs["standard_logging_object"], default=str) + "\\n")


recorder = Recorder()
'''


def experiment_overrides(experiment: dict, *, candidate_weight: int) -> dict:
    """Overrides adding `experiment` to internal-ai prod, with corp-small's canary sized for `candidate_weight`."""
    models = preset_document("internal-ai", "prod")["serving"]["models"]
    for model in models:
        if model["name"] == "corp-small":
            model["versions"]["candidate_weight"] = candidate_weight
    return {"serving": {"models": models}, "gateway": {"experiments": [experiment]}}


@dataclass
class Gateway:
    url: str
    directory: Path
    backends: dict[str, FakeOpenAIBackend]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    if not LITELLM.exists() or REDIS is None:
        pytest.skip("needs the pinned LiteLLM proxy (.venv-litellm) and redis-server")
    spec = load_spec("internal-ai", "prod", experiment_overrides(EXPERIMENT, candidate_weight=30))
    model = next(m for m in spec.serving.models if m.name == "corp-small")
    directory = tmp_path_factory.mktemp("gateway")
    data = write_gateway_files(directory, spec, "us-east-1")
    backends = {version: FakeOpenAIBackend(name=version, answer=lambda body, v=version: f"{v} answers").start()
                for version in (STABLE, CANDIDATE, "other")}
    addresses = {service_url(spec, version_name(model, v)): backends[v].base_url for v in (STABLE, CANDIDATE)}
    config = yaml.safe_load(data[CONFIG_KEY])
    for entry in config["model_list"]:
        params = entry["litellm_params"]
        if "api_base" in params:
            params["api_base"] = addresses.get(params["api_base"], backends["other"].base_url)
    config["general_settings"]["custom_auth"] = "test_auth.user_api_key_auth"
    config["litellm_settings"]["callbacks"].append("test_recorder.recorder")
    (directory / CONFIG_KEY).write_text(yaml.safe_dump(config, sort_keys=False))
    (directory / "test_auth.py").write_text(CUSTOM_AUTH)
    (directory / "test_recorder.py").write_text(RECORDER)
    with redis_server() as redis_port:
        process, url = start_proxy(directory, CONFIG_KEY, spec, redis_port)
        try:
            wait_for(f"{url}/health/liveliness", START_TIMEOUT_S, process)
            yield Gateway(url, directory, backends)
        finally:
            stop(process)
            for backend in backends.values():
                backend.stop()


def recorded(gateway: Gateway, ready: Callable[[list[dict]], bool]) -> list[dict]:
    """The request records once `ready` holds: LiteLLM logs a request after answering it (bounded wait)."""
    deadline = time.monotonic() + RECORD_WAIT_S
    while True:
        path = gateway.directory / "requests.jsonl"
        found = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        if ready(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def ask(gateway: Gateway, *, user: str | None = None, key: str = MASTER_KEY,
        headers: dict[str, str] | None = None) -> tuple[str, str]:
    """(version that answered, the variant header) of one chat request for corp-small."""
    body = {"model": "corp-small", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4,
            **({"user": user} if user else {})}
    request = Request(f"{gateway.url}/v1/chat/completions", data=json.dumps(body).encode(), method="POST",
                      headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                               **(headers or {})})
    with urlopen(request, timeout=TIMEOUT_S) as response:
        answer = json.load(response)["choices"][0]["message"]["content"]
        return answer.split()[0], response.headers.get(VARIANT_HEADER, "")


def test_users_stay_on_one_variant_and_the_split_matches_the_percentages(gateway: Gateway) -> None:
    users = [f"user-{index}" for index in range(USERS)]
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        first = dict(zip(users, pool.map(lambda user: ask(gateway, user=user), users), strict=True))
        again = dict(zip(users[:60], pool.map(lambda user: ask(gateway, user=user), users[:60]), strict=True))
    assert all(again[user] == first[user] for user in again), "a user moved to another variant"
    for version, header in first.values():
        assert header == f"prompt-v2/{'treatment' if version == CANDIDATE else 'control'}"
    treated = Counter(version for version, _ in first.values())[CANDIDATE]
    assert abs(treated - USERS * 30 // 100) <= SPLIT_BOUND, treated
    assert gateway.backends["other"].request_count == 0


def test_header_team_and_key_rules_win_over_the_split(gateway: Gateway) -> None:
    users = [f"rule-user-{index}" for index in range(40)]
    split = {user: ask(gateway, user=user)[0] for user in users}
    on_control = [user for user in users if split[user] == STABLE]
    on_treatment = [user for user in users if split[user] == CANDIDATE]
    assert on_control and on_treatment
    for user in on_control[:5]:
        assert ask(gateway, user=user, headers={"X-Segment": "beta"}) == (CANDIDATE, "prompt-v2/treatment")
        assert ask(gateway, user=user, key="sk-partner") == (CANDIDATE, "prompt-v2/treatment")
    for user in on_treatment[:5]:
        assert ask(gateway, user=user, key="sk-research") == (STABLE, "prompt-v2/control")
        assert ask(gateway, user=user, headers={"X-Segment": "other"})[0] == CANDIDATE


def test_the_variant_is_on_the_request_record_and_the_metrics(gateway: Gateway) -> None:
    assert ask(gateway, user="metrics-control", key="sk-research")[0] == STABLE  # both variants seen by /metrics
    ask(gateway, user="metrics-user", headers={"X-Segment": "beta"})
    records = recorded(gateway, lambda found: any(r["end_user"] == "metrics-user" for r in found))
    tagged = [record for record in records if f"{TAG_PREFIX}:prompt-v2:treatment" in record["request_tags"]]
    assert tagged and all(record["model_group"] == f"corp-small@{CANDIDATE}" for record in tagged)
    assert all(len([t for t in record["request_tags"] if t.startswith(f"{TAG_PREFIX}:")]) == 1 for record in records)
    with urlopen(Request(f"{gateway.url}/metrics", headers={"Authorization": f"Bearer {MASTER_KEY}"}),
                 timeout=TIMEOUT_S) as response:
        metrics = response.read().decode()
    requested = {line.split('requested_model="')[1].split('"')[0] for line in metrics.splitlines()
                 if line.startswith("litellm_proxy_total_requests_metric_total{") and "requested_model=" in line}
    assert {f"corp-small@{STABLE}", f"corp-small@{CANDIDATE}"} <= requested


def test_ab_report_compares_the_variants_from_the_gateways_records_and_feedback(
        gateway: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Feedback names requests by the `id` of the answer the gateway returned: treatment is rated up, control down;
    the report finds each variant's requests in LiteLLM's own records and the ratings' difference."""
    feedback = []
    for index in range(60):
        body = {"model": "corp-small", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4,
                "user": f"report-user-{index}"}
        request = Request(f"{gateway.url}/v1/chat/completions", data=json.dumps(body).encode(), method="POST",
                          headers={"Authorization": f"Bearer {MASTER_KEY}", "Content-Type": "application/json"})
        with urlopen(request, timeout=TIMEOUT_S) as response:
            treated = response.headers[VARIANT_HEADER].endswith("/treatment")
            if index % 2 == 0:  # half the answers get a rating, some twice (the first one counts)
                answer_id = json.load(response)["id"]
                feedback += [{"request_id": answer_id, "rating": 1 if treated else -1}] * (1 + index % 4 // 2)
    ids = {item["request_id"] for item in feedback}
    recorded(gateway, lambda found: ids <= {record["id"] for record in found})
    (tmp_path / "feedback.jsonl").write_text("".join(json.dumps(item) + "\n" for item in feedback))
    assert main(["ab", "report", "--requests", str(gateway.directory / "requests.jsonl"), "--feedback",
                 str(tmp_path / "feedback.jsonl"), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["experiment"] == "prompt-v2" and result["baseline"] == "control"
    control, treatment = result["variants"]
    assert control["metrics"]["feedback_score"]["value"] == 0.0
    assert treatment["metrics"]["feedback_score"]["value"] == 1.0
    assert treatment["differences"]["feedback_score"]["lower"] > 0.5
    rated = control["metrics"]["feedback_rate"]["n"] * control["metrics"]["feedback_rate"]["value"] + \
        treatment["metrics"]["feedback_rate"]["n"] * treatment["metrics"]["feedback_rate"]["value"]
    assert round(rated) == 30
    for row in (control, treatment):
        latency = row["metrics"]["latency_s"]
        assert 0 < latency["lower"] <= latency["value"] <= latency["upper"] < TIMEOUT_S


def test_a_streamed_answer_carries_the_variant_too(gateway: Gateway) -> None:
    body = {"model": "corp-small", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4,
            "user": "stream-user", "stream": True}
    request = Request(f"{gateway.url}/v1/chat/completions", data=json.dumps(body).encode(), method="POST",
                      headers={"Authorization": f"Bearer {MASTER_KEY}", "Content-Type": "application/json",
                               "X-Segment": "beta"})
    with urlopen(request, timeout=TIMEOUT_S) as response:
        assert response.headers[VARIANT_HEADER] == "prompt-v2/treatment"
        events = [line for line in response.read().decode().splitlines() if line.startswith("data: {")]
    text = "".join(json.loads(line[6:])["choices"][0]["delta"].get("content") or "" for line in events)
    assert text.startswith(CANDIDATE)
