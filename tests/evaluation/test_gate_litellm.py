"""The evaluation gate through the real, pinned LiteLLM proxy running the gateway's own ConfigMap (internal-ai prod:
corp-small's stable and candidate at 10 %): `<model>@<version>` reaches exactly that version's Service, with its
pinned prompt, and a candidate that answers worse is caught."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from blueprints.evaluation.gate import Location, gate
from blueprints.evaluation.runner import RunOptions
from blueprints.gateway.manifests import CONFIG_KEY
from blueprints.presets import load_spec
from blueprints.serving.manifests import service_url, version_name
from tests.evaluation.test_runner import code_words, oracle
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


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, FakeOpenAIBackend]]]:
    if not LITELLM.exists() or REDIS is None:
        pytest.skip("needs the pinned LiteLLM proxy (.venv-litellm) and redis-server")
    spec = load_spec("internal-ai", "prod")
    model = next(m for m in spec.serving.models if m.name == "corp-small")
    assert (model.versions.stable, model.versions.candidate) == (STABLE, CANDIDATE)
    directory = tmp_path_factory.mktemp("gateway")
    data = write_gateway_files(directory, spec, "us-east-1")
    good, bad = oracle(), oracle(wrong=set(range(12)))
    backends = {STABLE: FakeOpenAIBackend(name="stable", answer=good).start(),
                CANDIDATE: FakeOpenAIBackend(name="candidate", answer=bad).start(),
                "other": FakeOpenAIBackend(name="other").start()}
    addresses = {service_url(spec, version_name(model, v)): backends[v].base_url for v in (STABLE, CANDIDATE)}
    config = yaml.safe_load(data[CONFIG_KEY])
    for entry in config["model_list"]:
        params = entry["litellm_params"]
        if "api_base" in params:  # only the model addresses are rewritten, to the fakes
            params["api_base"] = addresses.get(params["api_base"], backends["other"].base_url)
    (directory / CONFIG_KEY).write_text(yaml.safe_dump(config, sort_keys=False))
    with redis_server() as redis_port:
        process, url = start_proxy(directory, CONFIG_KEY, spec, redis_port)
        try:
            wait_for(f"{url}/health/liveliness", START_TIMEOUT_S, process)
            yield f"{url}/v1", backends
        finally:
            stop(process)
            for backend in backends.values():
                backend.stop()


def test_each_version_is_evaluated_on_its_own_service_and_a_worse_candidate_is_caught(
        gateway: tuple[str, dict[str, FakeOpenAIBackend]], tmp_path: Path) -> None:
    url, backends = gateway
    cases = code_words(tmp_path / "golden.jsonl", 40)
    verdict = gate(cases, RunOptions(endpoint=url, model="", out=tmp_path / "unused", api_key=MASTER_KEY,
                                     concurrency=8), "corp-small", STABLE, CANDIDATE, Location(str(tmp_path / "out")),
                   stream=io.StringIO())
    assert backends[STABLE].request_count == backends[CANDIDATE].request_count == 40
    assert backends["other"].request_count == 0
    assert not verdict.not_worse
    assert verdict.comparison["overall"]["candidate"] == pytest.approx(28 / 40)
    assert verdict.comparison["overall"]["baseline"] == 1.0
    sent = backends[CANDIDATE].requests[0].body["messages"]
    assert [m for m in sent if m["role"] == "system"], "the pinned prompt applies to version groups too"
