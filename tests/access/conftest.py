"""One LiteLLM proxy in DB mode for the access tests (teams, keys, the reconciler Job, the keys CLI): the pinned proxy
on the startup-mvp gateway config plus `database_url` on an embedded Postgres migrated with LiteLLM's own
migrations (tests/support/litellm_db.py), Prisma's engine through the test stand-in (tests/support/prisma_engine),
and an OpenAI-compatible fake as the backend of model `chat-openai`. Started once per session: it takes a while."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
import yaml

from blueprints.gateway import master_key_auth
from blueprints.gateway.alb_identity_auth import KEYS_URL_VARIABLE
from blueprints.gateway.sso import identity_environment
from blueprints.presets import load_spec
from blueprints.spec import PlatformSpec
from tests.fakes.alb_public_keys import FakeAlbPublicKeys
from tests.fakes.openai_backend import FakeOpenAIBackend
from tests.support.litellm_db import litellm_database
from tests.support.litellm_proxy import (
    LITELLM,
    MASTER_KEY,
    PRISMA_ENGINE,
    START_TIMEOUT_S,
    start_proxy,
    stop,
    wait_for,
    write_gateway_files,
)

START_DB_MODE_S = 3 * START_TIMEOUT_S
"""DB mode starts slower (Prisma's engine in WebAssembly connects and loads the schema first), more so on a busy
machine."""
SPEND_WAIT_S = 30.0
"""Bound on waiting for LiteLLM's batched spend writes (flushed every `proxy_batch_write_at` seconds)."""
ALB_REGION = "us-east-1"
ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/gateway/50dc6c495c0c9188"
"""The load balancer whose sign-in assertions the DB-mode gateway trusts (gateway/sso.py identity_environment)."""
OPENAI_MODEL = {"hosting": "openai", "model": "gpt-4.1-mini", "name": "chat-openai"}
"""Added to startup-mvp's three models: served by the fake backend (`provider.api_base`)."""


@dataclass
class Gateway:
    url: str
    backend: FakeOpenAIBackend
    master_key_file: Path

    def call(self, path: str, body: dict, key: str = MASTER_KEY) -> tuple[int, dict]:
        request = Request(f"{self.url}{path}", data=json.dumps(body).encode(), method="POST",
                          headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        try:
            with urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except HTTPError as error:
            return error.code, json.loads(error.read())

    def get(self, path: str) -> dict:
        request = Request(f"{self.url}{path}", headers={"Authorization": f"Bearer {MASTER_KEY}"})
        with urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def chat(self, key: str, model: str) -> tuple[int, dict]:
        return self.call("/v1/chat/completions", {"model": model, "max_tokens": 3,
                                                  "messages": [{"role": "user", "content": "hello"}]}, key)

    def wait_for_spend(self, changed: Callable[[], bool]) -> None:
        """Until `changed()` holds or SPEND_WAIT_S passes (spend is written in batches)."""
        deadline = time.monotonic() + SPEND_WAIT_S
        while not changed() and time.monotonic() < deadline:
            time.sleep(0.5)


def gateway_spec(backend_url: str, overrides: dict[str, Any] | None = None) -> PlatformSpec:
    """startup-mvp prod with `chat-openai` on the fake backend; `overrides` merged on top."""
    models = {"serving": {"models": [{}, {}, {}, {**OPENAI_MODEL, "provider": {"api_base": backend_url}}]}}
    return load_spec("startup-mvp", "prod", overrides={**models, **(overrides or {})})


@pytest.fixture(scope="session")
def alb_keys() -> Iterator[FakeAlbPublicKeys]:
    """The ALB public-key endpoint the DB-mode gateway trusts (tests/access/test_sso_teams.py signs with it)."""
    with FakeAlbPublicKeys() as keys:
        yield keys


@pytest.fixture(scope="session")
def db_gateway(tmp_path_factory: pytest.TempPathFactory, alb_keys: FakeAlbPublicKeys) -> Iterator[Gateway]:
    if not (LITELLM.exists() and (PRISMA_ENGINE.parent / "node_modules").exists()):
        pytest.skip("LiteLLM DB mode missing: make .venv-litellm/.db-mode")
    with FakeOpenAIBackend() as backend, litellm_database() as database_url:
        spec = gateway_spec(backend.base_url)
        directory = tmp_path_factory.mktemp("db-gateway")
        write_gateway_files(directory, spec, spec.regions[0])
        config = yaml.safe_load((directory / "config.yaml").read_text())
        config["general_settings"].update(proxy_batch_write_at=1)  # spend flushed each second instead of 10
        (directory / "config.yaml").write_text(yaml.safe_dump(config))
        key_file = directory / "master-key"
        key_file.write_text(MASTER_KEY)
        process, url = start_proxy(directory, "config.yaml", spec, redis_port=1, database_url=database_url,
                                   extra_env={"OPENAI_API_KEY": "sk-openai-test", "ANTHROPIC_API_KEY": "sk-ant-test",
                                              master_key_auth.KEY_FILE_VARIABLE: str(key_file),
                                              **identity_environment(ALB_REGION, ALB_ARN),
                                              KEYS_URL_VARIABLE: alb_keys.base_url})
        try:
            wait_for(f"{url}/health/liveliness", START_DB_MODE_S, process)
            yield Gateway(url, backend, key_file)
        finally:
            stop(process)


def mount_job_files(manifests: list[dict[str, Any]], directory: Path) -> dict[str, Any]:
    """Lay out the reconciler Job's ConfigMap volume under `directory` as the kubelet does (each item at its path)
    and return the Job's container, its mount path rewritten to `directory`."""
    config = next(m for m in manifests if m["kind"] == "ConfigMap")
    job = next(m for m in manifests if m["kind"] == "Job")
    pod = job["spec"]["template"]["spec"]
    [container] = pod["containers"]
    [mount] = [m for m in container["volumeMounts"] if m["name"] != "tmp"]
    [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["configMap"]["name"] == config["metadata"]["name"]
    for item in volume["configMap"]["items"]:
        target = directory / item["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(config["data"][item["key"]])
    text = json.dumps(container).replace(mount["mountPath"], str(directory))
    return json.loads(text)
