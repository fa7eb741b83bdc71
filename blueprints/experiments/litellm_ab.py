"""LiteLLM proxy callback that routes A/B experiments by user segment (`callbacks: [litellm_ab.segment_routing]`).

This file runs inside the LiteLLM image, not in the blueprints package: it imports only LiteLLM and the standard
library, and reads its experiments from `ab_experiments.json` beside it (written by blueprints/experiments/
gateway.py). A request for an experiment's model is sent to its variant's model group `<model>@<version>`:

- the first matching segment rule wins (the caller's team alias or id, its key alias, or a header value);
- otherwise a stable hash of the user (the request's OpenAI `user` field, else the key's end user or user id,
  else the key itself) picks the variant by the experiment's percentages, so a user always gets the same one.

The variant is tagged on the request (`metadata.tags`: `ab:<experiment>:<variant>`, in the audit records and the
spend logs), on the response (header `x-blueprints-variant: <experiment>/<variant>`), and on LiteLLM's Prometheus
series through their `requested_model` label (the variant's model group).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from litellm.integrations.custom_logger import CustomLogger

CONFIG_FILE_NAME = "ab_experiments.json"
CONFIG_FILE = Path(__file__).with_name(CONFIG_FILE_NAME)
VARIANT_HEADER = "x-blueprints-variant"
ASSIGNMENT_KEY = "blueprints_ab"
TAG_PREFIX = "ab"
BUCKETS = 10_000
"""Hash buckets per experiment: percentages are exact to 0.01 %."""
METADATA_KEYS = ("metadata", "litellm_metadata")


def bucket(experiment: str, user: str) -> int:
    """The user's bucket in [0, BUCKETS): the same for the same experiment and user, on every gateway replica."""
    digest = hashlib.sha256(f"{experiment}\x00{user}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def split_variant(experiment: dict[str, Any], user: str) -> str:
    """The variant a user falls in by the experiment's percentages (in the order listed)."""
    position, edge = bucket(experiment["name"], user), 0
    for label, percent in experiment["split"]:
        edge += percent * BUCKETS // 100
        if position < edge:
            return label
    return experiment["split"][-1][0]


def _headers(data: dict[str, Any]) -> dict[str, str]:
    headers = (data.get("proxy_server_request") or {}).get("headers") or {}
    return {str(name).lower(): str(value) for name, value in headers.items()}


def rule_variant(experiment: dict[str, Any], caller: Any, headers: dict[str, str]) -> str | None:
    """The variant of the first segment rule the caller matches, or None."""
    teams = {value for value in (getattr(caller, "team_alias", None), getattr(caller, "team_id", None)) if value}
    key = getattr(caller, "key_alias", None)
    for rule in experiment["rules"]:
        if rule.get("team") in teams or (key and rule.get("key") == key):
            return rule["variant"]
        if rule.get("header") and headers.get(rule["header"][0].lower()) == rule["header"][1]:
            return rule["variant"]
    return None


def user_of(caller: Any, data: dict[str, Any]) -> str:
    """Who the split keeps on one variant: the request's `user`, else the key's end user or user, else the key."""
    for value in (data.get("user"), getattr(caller, "end_user_id", None), getattr(caller, "user_id", None),
                  getattr(caller, "token", None), getattr(caller, "api_key", None)):
        if value:
            return str(value)
    return ""


def load(path: Path = CONFIG_FILE) -> dict[str, dict[str, Any]]:
    """Model name -> its experiment."""
    if not path.exists():
        return {}
    return {experiment["model"]: experiment for experiment in json.loads(path.read_text())["experiments"]}


class SegmentRouting(CustomLogger):
    def __init__(self, experiments: dict[str, dict[str, Any]]) -> None:
        super().__init__()
        self.experiments = experiments

    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: Any) -> dict:
        experiment = self.experiments.get(str(data.get("model")))
        if experiment is None:
            return data
        variant = (rule_variant(experiment, user_api_key_dict, _headers(data))
                   or split_variant(experiment, user_of(user_api_key_dict, data)))
        data["model"] = experiment["variants"][variant]
        key = next((key for key in METADATA_KEYS if isinstance(data.get(key), dict)), METADATA_KEYS[0])
        metadata = data.setdefault(key, {})
        metadata["tags"] = [*(metadata.get("tags") or []), f"{TAG_PREFIX}:{experiment['name']}:{variant}"]
        metadata[ASSIGNMENT_KEY] = f"{experiment['name']}/{variant}"
        return data

    async def async_post_call_response_headers_hook(self, data: dict, user_api_key_dict: Any, response: Any,
                                                    request_headers: dict | None = None) -> dict[str, str] | None:
        for key in METADATA_KEYS:
            assignment = (data.get(key) or {}).get(ASSIGNMENT_KEY)
            if assignment:
                return {VARIANT_HEADER: assignment}
        return None


segment_routing = SegmentRouting(load())
