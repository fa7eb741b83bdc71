"""Start the pinned LiteLLM proxy (its own virtualenv, .venv-litellm) on 127.0.0.1 from a rendered config folder,
the way the gateway's pod runs it: the spec's proxy environment, the master key, a local Redis and no database."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from urllib.request import urlopen

from blueprints.gateway.litellm_config import proxy_environment
from blueprints.spec import PlatformSpec
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
LITELLM = Path(os.environ.get("LITELLM_BIN", ROOT / ".venv-litellm" / "bin" / "litellm"))
MASTER_KEY = "sk-test-master-key"
START_TIMEOUT_S = 60.0


def wait_for(url: str, timeout_s: float, process: subprocess.Popen) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {process.returncode}")
        try:
            with urlopen(url, timeout=1):
                return time.monotonic() - started
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} not up after {timeout_s}s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_proxy(directory: Path, config: str, spec: PlatformSpec, redis_port: int) -> tuple[subprocess.Popen, str]:
    """Launch the proxy on `directory/config` (hooks beside it); returns the process and its base URL. Output goes
    to `directory/litellm.log`. The caller waits for it (`wait_for`) and stops it (`stop`)."""
    port = free_port()
    env = {**os.environ, **proxy_environment(spec), "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "LITELLM_MASTER_KEY": MASTER_KEY, "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis_port),
           "LITELLM_LOG": "ERROR", "NO_PROXY": "127.0.0.1,localhost"}
    env.pop("DATABASE_URL", None)
    with (directory / "litellm.log").open("w") as log:
        process = subprocess.Popen([str(LITELLM), "--config", str(directory / config), "--host", "127.0.0.1",
                                    "--port", str(port)], cwd=directory, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"
