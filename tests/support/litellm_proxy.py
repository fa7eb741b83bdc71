"""Start the pinned LiteLLM proxy (its own virtualenv, .venv-litellm) on 127.0.0.1 from a rendered config folder,
the way the gateway's pod runs it: the spec's proxy environment, the master key, a local Redis and, unless
`database_url` is given, no database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.request import urlopen

from blueprints.gateway.litellm_config import proxy_environment, render_config
from blueprints.gateway.manifests import CONFIG_KEY, config_map
from blueprints.spec import PlatformSpec
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
LITELLM = Path(os.environ.get("LITELLM_BIN", ROOT / ".venv-litellm" / "bin" / "litellm"))
MASTER_KEY = "sk-test-master-key"
START_TIMEOUT_S = 60.0
REDIS = shutil.which("redis-server")
"""Debian's `redis-server`; None when it is not installed."""
REDIS_START_S = 10.0
PRISMA_ENGINE = ROOT / "tests" / "support" / "prisma_engine" / "engine.js"
"""The test stand-in for Prisma's query engine that `make .venv-litellm/.db-mode` generates LiteLLM's client with."""


READY_POLL_S = 0.05
"""Between readiness probes (was 0.2 s): a refused connection costs microseconds; each start is seen ~0.075 s sooner."""


def write_gateway_files(directory: Path, spec: PlatformSpec, region: str, endpoints: dict[str, str] | None = None,
                        config: dict[str, Any] | None = None) -> dict[str, str]:
    """Every file of the gateway's `litellm-config` ConfigMap (the config and the hook, auth, guardrail, prompt, A/B
    and quality modules it loads) into `directory`, as the pod mounts them; `config` replaces the rendered config.
    Returns the ConfigMap's files as rendered."""
    data: dict[str, str] = config_map(spec, region, endpoints or {})["data"]
    for name, content in data.items():
        (directory / name).write_text(content)
    if config is not None:
        (directory / CONFIG_KEY).write_text(render_config(config))
    return data


def wait_for(url: str, timeout_s: float, process: subprocess.Popen) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {process.returncode}")
        try:
            with urlopen(url, timeout=1):
                return time.monotonic() - started
        except OSError:
            time.sleep(READY_POLL_S)
    raise TimeoutError(f"{url} not up after {timeout_s}s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def redis_server() -> Iterator[int]:
    """A throwaway `redis-server` on 127.0.0.1 (no persistence); yields its port. Needs REDIS (not None)."""
    assert REDIS is not None, "redis-server is not installed (Debian package redis-server)"
    port = free_port()
    process = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + REDIS_START_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        stop(process)


def start_proxy(directory: Path, config: str, spec: PlatformSpec, redis_port: int, *,
                cpus: str | None = None, extra_env: dict[str, str] | None = None,
                database_url: str | None = None) -> tuple[subprocess.Popen, str]:
    """Launch the proxy on `directory/config` (hooks beside it); returns the process and its base URL. Output goes
    to `directory/litellm.log`. `cpus`: a `taskset` CPU list to pin it to; `extra_env`: overrides of its
    environment; `database_url`: LiteLLM's DB mode on that Postgres (schema already migrated, see litellm_db.py)
    through PRISMA_ENGINE. The caller waits for it (`wait_for`) and stops it (`stop`)."""
    port = free_port()
    env = {**os.environ, **proxy_environment(spec), "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "LITELLM_MASTER_KEY": MASTER_KEY, "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis_port),
           "NO_PROXY": "127.0.0.1,localhost", **(extra_env or {})}
    env.pop("DATABASE_URL", None)
    if database_url is not None:
        env.update(DATABASE_URL=database_url, DISABLE_SCHEMA_UPDATE="true",
                   PRISMA_QUERY_ENGINE_BINARY=str(PRISMA_ENGINE), PRISMA_SCHEMA_ENGINE_BINARY=str(PRISMA_ENGINE),
                   PATH=f"{LITELLM.parent}:{env.get('PATH', '')}")
    pin = ["taskset", "-c", cpus] if cpus else []
    with (directory / "litellm.log").open("w") as log:
        process = subprocess.Popen([*pin, str(LITELLM), "--config", str(directory / config), "--host", "127.0.0.1",
                                    "--port", str(port)], cwd=directory, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"
