"""The gateway's LiteLLM configuration: a ConfigMap labelled `app.kubernetes.io/name: litellm` whose
`config.yaml` key holds the proxy config."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from .props import dig

LABEL = ("app.kubernetes.io/name", "litellm")
CONFIG_KEY = "config.yaml"
ENV_REFERENCE = "os.environ/"


def is_gateway_config(props: Mapping[str, Any]) -> bool:
    labels = dig(props, "metadata.labels", {}) or {}
    return labels.get(LABEL[0]) == LABEL[1]


def load(props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The parsed config, or None when the ConfigMap is not the gateway's. A gateway ConfigMap without a
    parseable `config.yaml` raises, so the policy reports it instead of passing."""
    if not is_gateway_config(props):
        return None
    text = dig(props, "data", {}).get(CONFIG_KEY)
    if text is None:
        raise ValueError(f"gateway ConfigMap has no data[{CONFIG_KEY!r}]")
    config = yaml.safe_load(text)
    if not isinstance(config, Mapping):
        raise ValueError(f"data[{CONFIG_KEY!r}] is not a YAML mapping")
    return config


def models(config: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(config.get("model_list") or [])
