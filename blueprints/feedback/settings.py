"""Runtime settings of the feedback service, read from the environment its Deployment sets."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from blueprints.feedback.protocol import ANSWER_KEY_PREFIX, SAMPLES_KEY

ENV_PREFIX = "FEEDBACK_"


class Settings(BaseModel):
    """Each field is read from `FEEDBACK_<FIELD>` (upper case); fields without a default are required."""

    model_config = ConfigDict(frozen=True)

    table: str
    """DynamoDB table of feedback records (partition key `request_id`)."""
    gateway_url: str
    """The gateway's in-cluster base URL: a caller's key is accepted when the gateway accepts it."""
    redis_host: str
    redis_port: int = 6379
    redis_password: str = ""
    redis_ssl: bool = False
    key_cache_s: float = 60.0
    """How long a key the gateway accepted is trusted without asking again (a revoked key works this long)."""
    answer_key_prefix: str = ANSWER_KEY_PREFIX
    max_comment_chars: int = 2000
    samples_key: str = SAMPLES_KEY
    """The quality worker's Redis list of sampled answers (the gateway's quality callback fills it)."""
    judge_model: str = ""
    """The quality worker's judge (a model the gateway serves); empty: sampled answers are not judged."""
    judge_rubric: str = ""
    gateway_key_file: str = ""
    """The quality worker's key for the gateway's judge calls (a mounted Secret, re-read when it changes)."""
    metrics_port: int = 9090
    """The quality worker's /metrics port (the API serves /metrics on its own port)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        values = {name: env[f"{ENV_PREFIX}{name.upper()}"] for name in cls.model_fields
                  if f"{ENV_PREFIX}{name.upper()}" in env}
        return cls.model_validate(values)
