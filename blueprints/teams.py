"""A team of the gateway: who may call which models, within which budget and rate limits (a LiteLLM team).

The spec declares teams with this model (`access.teams`, cross-checked there against the models the gateway serves)
and the key reconciler Job reads them back from its mounted JSON (blueprints.access.reconcile): one definition for
both sides, so it sits below the spec and imports nothing of the package.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

BUDGET_DURATIONS = r"^([1-9][0-9]*[smhdw]|1mo)$"
PLATFORM_TEAM = "platform"
"""The team the reconciler keeps for the platform's own workloads' keys (batch, eval, quality): not for users."""
"""What LiteLLM 1.81.16 turns into a reset period (litellm/litellm_core_utils/duration_parser.py,
duration_in_seconds: `<n>s|m|h|d|w|mo`). Only `1mo` of the month unit: its month arithmetic adds `n` months
without carrying into the next year (and never for December), so `2mo` fails in November."""

TeamName = Annotated[str, StringConstraints(pattern=r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")]


class TeamSpec(BaseModel):
    """One team. Its keys (`python -m blueprints keys issue --team <name>`) may call only `models`, and the team is
    refused (HTTP 400 `budget_exceeded`) once its spend in the current `budget_duration` reaches `max_budget_usd`."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name: TeamName
    """The LiteLLM team id and alias."""
    models: list[str] = Field(min_length=1)
    """Gateway model names the team's keys may call (serving models, the tiered-routing alias)."""
    max_budget_usd: float = Field(gt=0)
    """Spend ceiling per period, in USD at the gateway's token prices."""
    budget_duration: str = "1mo"
    """Budget reset period in LiteLLM's notation: `30d`, `1w`, `12h`, `1mo`."""
    rpm_limit: int | None = Field(None, ge=1)
    """Requests per minute across all the team's keys; none: only the per-key limits apply."""
    tpm_limit: int | None = Field(None, ge=1)
    """Tokens per minute across all the team's keys."""
    blocked: bool = False
    """Every key of the team is refused (kept with its spend history)."""

    @field_validator("budget_duration")
    @classmethod
    def _litellm_duration(cls, duration: str) -> str:
        if not re.fullmatch(BUDGET_DURATIONS, duration):
            raise ValueError(f"{duration!r} is no budget period LiteLLM resets reliably (allowed: <n>s, <n>m, <n>h, "
                             "<n>d, <n>w with n >= 1, or 1mo; e.g. 30d)")
        return duration

    @field_validator("models")
    @classmethod
    def _no_repeats(cls, models: list[str]) -> list[str]:
        repeated = sorted({model for model in models if models.count(model) > 1})
        if repeated:
            raise ValueError(f"models listed twice: {', '.join(repeated)} (allowed: each model once)")
        return models
