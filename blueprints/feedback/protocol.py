"""What the gateway's quality callback writes to Redis and the feedback service and quality worker read (names and
bounds only: imported by both sides, and by the runtime image)."""

from __future__ import annotations

ANSWER_KEY_PREFIX = "blueprints:answer:"
"""Redis key of an answer's attribution: the prefix + the answer id (the feedback service reads it)."""
ANSWER_TTL_S = 3 * 24 * 3600
"""How long after an answer feedback on it can still be attributed to the model version that gave it."""
SAMPLES_KEY = "blueprints:quality:samples"
"""Redis list of sampled answers (prompt, answer, model group, version) waiting for the quality worker."""
MAX_QUEUED_SAMPLES = 1000
"""The list is trimmed to this many: a stopped worker costs a bounded amount of Redis memory, never the gateway."""
MAX_PROMPT_CHARS = 4000
"""Prompts and answers are cut to this many characters before they are queued (bounds Redis memory and CPU)."""
KEY = "request_id"
"""The feedback table's partition key (string): the answer id the client got (the table is declared by
components/feedback.py, which the offline plan imports without boto3; blueprints/feedback/store.py reads it)."""
