"""The gateway's LiteLLM configuration: a ConfigMap labelled `app.kubernetes.io/name: litellm` whose
`config.yaml` key holds the proxy config, or (runtime fargate) an ECS task definition whose container carries the
same label and, in the environment variable its `blueprints.io/litellm-config-env` label names, the same file."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import yaml

from .props import dig, items, json_object

LABEL = ("app.kubernetes.io/name", "litellm")
CONFIG_KEY = "config.yaml"
ENV_REFERENCE = "os.environ/"
CONFIG_ENV_LABEL = "blueprints.io/litellm-config-env"


def is_gateway_config(props: Mapping[str, Any]) -> bool:
    labels = dig(props, "metadata.labels", {}) or {}
    return labels.get(LABEL[0]) == LABEL[1]


def _task_config(props: Mapping[str, Any]) -> str | None:
    """config.yaml from the gateway container of an ECS task definition; None when no container is the gateway."""
    for container in items(json_object(props.get("containerDefinitions"))):
        labels = container.get("dockerLabels") or {}
        if labels.get(LABEL[0]) != LABEL[1]:
            continue
        variable = labels.get(CONFIG_ENV_LABEL)
        values = {entry.get("name"): entry.get("value") for entry in items(container.get("environment"))}
        if values.get(variable) is None:
            raise ValueError(f"gateway container has no environment variable {variable!r} ({CONFIG_ENV_LABEL})")
        return values[variable]
    return None


def load(props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The parsed config, or None when the ConfigMap (task definition) is not the gateway's. A gateway ConfigMap
    without a parseable `config.yaml` raises, so the policy reports it instead of passing."""
    if "containerDefinitions" in props:
        text = _task_config(props)
        if text is None:
            return None
    elif not is_gateway_config(props):
        return None
    else:
        text = dig(props, "data", {}).get(CONFIG_KEY)
    if text is None:
        raise ValueError(f"gateway ConfigMap has no data[{CONFIG_KEY!r}]")
    config = _parse(text)
    if not isinstance(config, Mapping):
        raise ValueError(f"data[{CONFIG_KEY!r}] is not a YAML mapping")
    return config


@lru_cache(maxsize=32)
def _parse(text: str) -> Any:
    """Parsed once per distinct config: every gateway policy of every pack reads the same ConfigMap, and the checks
    only read what this returns (they must not change it)."""
    return yaml.safe_load(text)


def models(config: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(config.get("model_list") or [])
