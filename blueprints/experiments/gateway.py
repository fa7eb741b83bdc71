"""What the gateway adds to its LiteLLM config for A/B experiments by user segment (pure: spec in, dict out)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from blueprints.evaluation import version_model
from blueprints.spec import ExperimentSpec, PlatformSpec

HOOK_FILE = Path(__file__).with_name("litellm_ab.py")
HOOK_MODULE = HOOK_FILE.stem
CALLBACK = f"{HOOK_MODULE}.segment_routing"
CONFIG_FILE = "ab_experiments.json"
VARIANT_HEADER = "x-blueprints-variant"
"""Response header naming `<experiment>/<variant>`."""
TAG_PREFIX = "ab"
"""Request tag `ab:<experiment>:<variant>` (audit records, spend logs).

These three must equal litellm_ab.py's (that file cannot import this package; a test checks)."""


def experiment_document(experiment: ExperimentSpec) -> dict[str, Any]:
    """One experiment as the hook reads it: variants resolved to their model groups, rules as (kind, value)."""
    rules = []
    for rule in experiment.rules:
        selector: dict[str, Any] = ({"team": rule.team} if rule.team else {"key": rule.key} if rule.key
                                    else {"header": list(str(rule.header).split("=", 1))})
        rules.append({**selector, "variant": rule.variant})
    return {"name": experiment.name, "model": experiment.model,
            "variants": {label: version_model(experiment.model, version)
                         for label, version in experiment.variants.items()},
            "split": [[label, percent] for label, percent in experiment.split.items()],
            "rules": rules}


def litellm_ab_settings(spec: PlatformSpec) -> dict[str, Any]:
    """Everything the gateway needs for the spec's experiments; empty when there are none.

    - `callbacks`: append to `litellm_settings.callbacks`;
    - `files`: write beside config.yaml (file name -> content): the hook and its experiments.
    """
    if not spec.gateway.experiments:
        return {}
    document = {"experiments": [experiment_document(experiment) for experiment in spec.gateway.experiments]}
    return {"callbacks": [CALLBACK],
            "files": {HOOK_FILE.name: HOOK_FILE.read_text(), CONFIG_FILE: json.dumps(document, indent=2)}}

