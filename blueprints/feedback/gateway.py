"""What the gateway adds to its LiteLLM config for online quality signals and feedback attribution (pure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from blueprints.evaluation.checks import FENCE, REFUSAL
from blueprints.evaluation.judge import INSTRUCTIONS as JUDGE_INSTRUCTIONS
from blueprints.feedback.protocol import (
    ANSWER_KEY_PREFIX,
    ANSWER_TTL_S,
    MAX_PROMPT_CHARS,
    MAX_QUEUED_SAMPLES,
    SAMPLES_KEY,
)
from blueprints.spec import PlatformSpec

HOOK_FILE = Path(__file__).with_name("litellm_quality.py")
CALLBACK = f"{HOOK_FILE.stem}.quality_signals"
CONFIG_FILE = "quality_signals.json"


def litellm_quality_settings(spec: PlatformSpec) -> dict[str, Any]:
    """`callbacks`: append to `litellm_settings.callbacks`; `files`: write beside config.yaml (name -> content).
    Answers are sampled for the quality worker only where the feedback service runs; the judge's own requests
    (its instructions as the system message) never are."""
    feedback = spec.feedback
    judged = feedback.enabled and feedback.judge_model is not None
    settings = {"refusal_pattern": REFUSAL.pattern, "fence_pattern": FENCE.pattern,
                "key_prefix": ANSWER_KEY_PREFIX, "answer_ttl_s": ANSWER_TTL_S,
                "samples": {"key": SAMPLES_KEY, "max_queued": MAX_QUEUED_SAMPLES, "max_chars": MAX_PROMPT_CHARS,
                            "drift_fraction": feedback.drift_sample_percent / 100 if feedback.enabled else 0.0,
                            "judge_fraction": feedback.judge_sample_percent / 100 if judged else 0.0,
                            "judge_instructions": JUDGE_INSTRUCTIONS}}
    return {"callbacks": [CALLBACK],
            "files": {HOOK_FILE.name: HOOK_FILE.read_text(), CONFIG_FILE: json.dumps(settings, indent=2)}}
