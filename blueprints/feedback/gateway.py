"""What the gateway adds to its LiteLLM config for online quality signals and feedback attribution (pure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from blueprints.evaluation.checks import FENCE, REFUSAL

HOOK_FILE = Path(__file__).with_name("litellm_quality.py")
CALLBACK = f"{HOOK_FILE.stem}.quality_signals"
CONFIG_FILE = "quality_signals.json"
ANSWER_KEY_PREFIX = "blueprints:answer:"
"""Redis key of an answer's attribution: the prefix + the answer id (the feedback service reads it)."""
ANSWER_TTL_S = 3 * 24 * 3600
"""How long after an answer feedback on it can still be attributed to the model version that gave it."""


def litellm_quality_settings() -> dict[str, Any]:
    """`callbacks`: append to `litellm_settings.callbacks`; `files`: write beside config.yaml (name -> content)."""
    settings = {"refusal_pattern": REFUSAL.pattern, "fence_pattern": FENCE.pattern,
                "key_prefix": ANSWER_KEY_PREFIX, "answer_ttl_s": ANSWER_TTL_S}
    return {"callbacks": [CALLBACK],
            "files": {HOOK_FILE.name: HOOK_FILE.read_text(), CONFIG_FILE: json.dumps(settings, indent=2)}}
