"""The gateway as an ECS Fargate task (runtime `fargate`; pure: spec and a few ARNs in, the container definition
out, in the shape of ECS RegisterTaskDefinition's `containerDefinitions`).

The task runs the pinned LiteLLM image with the same generated files the Kubernetes gateway mounts from its
ConfigMap (config.yaml, the callback module, prompt files): they travel as plain environment variables (nothing in
them is secret: the config names every credential as `os.environ/...`) and the container's shell writes them to
/tmp before starting the proxy. The image's runtime stage is cgr.dev/chainguard/python:latest-dev, which ships a
shell (BerriAI/litellm Dockerfile at v1.81.16-stable). Credentials come from Secrets Manager through the task's
`secrets` (`valueFrom` a secret ARN), which ECS resolves with the execution role when the task starts.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from blueprints.gateway.litellm_config import MASTER_KEY_ENV, proxy_environment
from blueprints.gateway.manifests import CONFIG_KEY, NAME, PORT, RUN_AS, config_map
from blueprints.spec import PlatformSpec

FILES_DIR = "/tmp/litellm"
FILE_ENV = "BLUEPRINTS_FILE_{index}"
CONFIG_ENV_LABEL = "blueprints.io/litellm-config-env"
"""Docker label naming the environment variable that holds config.yaml (the policy packs read the config there)."""
LOG_STREAM_PREFIX = "gateway"
STOP_TIMEOUT_S = 120
"""The longest Fargate allows between SIGTERM and SIGKILL."""


def gateway_files(spec: PlatformSpec, region: str) -> dict[str, str]:
    """File name -> content: exactly what the Kubernetes gateway mounts from its ConfigMap."""
    return dict(config_map(spec, region, {})["data"])


def start_script(names: list[str]) -> str:
    """Write each file from its environment variable, then run the proxy (one worker: runtime `fargate` has no
    Redis to share limits across workers, so a task scales by count, not by workers)."""
    writes = [f'printf %s "${FILE_ENV.format(index=index)}" > {shlex.quote(f"{FILES_DIR}/{name}")}'
              for index, name in enumerate(names)]
    run = (f"exec litellm --config {FILES_DIR}/{CONFIG_KEY} --host 0.0.0.0 --port {PORT} --num_workers 1")
    return " && ".join([f"mkdir -p {FILES_DIR}", *writes, run])


def container_definition(spec: PlatformSpec, region: str, *, log_group: Any, master_key_arn: Any,
                         provider_key_refs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The gateway container: LiteLLM as non-root with a read-only root file system (only /tmp writable), its
    logs to `log_group` (CloudWatch, KMS, retention), its master key from Secrets Manager. `provider_key_refs`:
    credential environment variable of each hosted provider (gateway/providers.py) -> its `valueFrom`, a secret
    ARN or `<secret ARN>:<JSON key>::` (ECS reads one key of a JSON secret)."""
    files = gateway_files(spec, region)
    environment = {**proxy_environment(spec), "AWS_REGION": region, "HOME": "/tmp",
                   "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                   **{FILE_ENV.format(index=index): content for index, content in enumerate(files.values())}}
    return {
        "name": NAME,
        "image": spec.image("litellm"),
        "essential": True,
        "dockerLabels": {"app.kubernetes.io/name": NAME,
                         CONFIG_ENV_LABEL: FILE_ENV.format(index=list(files).index(CONFIG_KEY))},
        "entryPoint": ["sh", "-c"],
        "command": [start_script(list(files))],
        "portMappings": [{"containerPort": PORT, "protocol": "tcp", "name": "http"}],
        "environment": [{"name": key, "value": value} for key, value in environment.items()],
        "secrets": [{"name": MASTER_KEY_ENV, "valueFrom": master_key_arn},
                    *({"name": env, "valueFrom": ref} for env, ref in (provider_key_refs or {}).items())],
        "user": f"{RUN_AS}:{RUN_AS}",
        "readonlyRootFilesystem": True,
        "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],
        "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": True},
        "stopTimeout": STOP_TIMEOUT_S,
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": LOG_STREAM_PREFIX}},
    }


def task_size(spec: PlatformSpec) -> dict[str, str]:
    """RegisterTaskDefinition's task-level `cpu` (CPU units) and `memory` (MiB)."""
    return {"cpu": str(1024 * spec.gateway.cpu), "memory": str(spec.gateway.memory_mib)}
