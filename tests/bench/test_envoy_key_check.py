"""bench/envoy_key_check.py measures what a request costs LiteLLM, not the preset's admission limits."""

import json
from pathlib import Path

import yaml

from bench.envoy_key_check import chat_body, write_files
from tests.access.conftest import OPENAI_MODEL, gateway_spec
from tests.support.litellm_proxy import write_gateway_files


def test_the_completions_are_not_held_back_by_the_models_or_the_keys_minute_budget(tmp_path: Path) -> None:
    # chat-openai admits 120 requests a minute and every new key gateway.rpm_per_key in the rendered config; the
    # bench's completion runs send more: 36 answers in a 3 s run at concurrency 16, the rest refused or held.
    spec = gateway_spec("http://127.0.0.1:1/v1")
    rendered, bench = tmp_path / "rendered", tmp_path / "bench"
    rendered.mkdir()
    bench.mkdir()
    write_gateway_files(rendered, spec, spec.regions[0])
    write_files(bench, spec)

    def limits(directory: Path) -> dict:
        config = yaml.safe_load((directory / "config.yaml").read_text())
        [entry] = [entry for entry in config["model_list"] if entry["model_name"] == OPENAI_MODEL["name"]]
        keys = config["litellm_settings"].get("default_key_generate_params", {})
        return {"model rpm": entry["litellm_params"].get("rpm"), "model tpm": entry["litellm_params"].get("tpm"),
                "key rpm": keys.get("rpm_limit")}

    assert limits(rendered) == {"model rpm": 120, "model tpm": 156000, "key rpm": spec.gateway.rpm_per_key}
    assert limits(bench) == {"model rpm": None, "model tpm": None, "key rpm": None}


def test_every_completion_asks_a_prompt_not_asked_before() -> None:
    # The rendered config caches responses: one fixed prompt measured cache hits (8.2 ms of proxy CPU per answer).
    body = chat_body()
    prompts = [json.loads(body())["messages"][-1]["content"] for _ in range(100)]
    assert len(set(prompts)) == 100
