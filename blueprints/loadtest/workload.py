"""What a load test sends: arrivals (Poisson at a rate, or a fixed number of concurrent users), prompt and
output lengths drawn from distributions, and the bounds that end every run."""

from __future__ import annotations

import math
import random
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_DURATION_S = 3600.0
"""No run lasts longer than an hour, whatever is asked."""
MAX_REQUESTS = 1_000_000
MAX_USERS = 2000


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Bounded(_Input):
    low: int = Field(ge=1)
    high: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> _Bounded:
        if self.low > self.high:
            raise ValueError(f"low must not exceed high (got low={self.low}, high={self.high})")
        return self

    def _clamp(self, value: float) -> int:
        return min(self.high, max(self.low, round(value)))


class Fixed(_Input):
    kind: Literal["fixed"] = "fixed"
    value: int = Field(ge=1)

    def sample(self, rng: random.Random) -> int:
        return self.value


class Uniform(_Bounded):
    """Integers from low to high inclusive, each equally likely."""

    kind: Literal["uniform"] = "uniform"

    def sample(self, rng: random.Random) -> int:
        return rng.randint(self.low, self.high)


class Normal(_Bounded):
    """Normal(mean, stddev), rounded and clamped to [low, high]."""

    kind: Literal["normal"] = "normal"
    mean: float = Field(gt=0)
    stddev: float = Field(ge=0)

    def sample(self, rng: random.Random) -> int:
        return self._clamp(rng.gauss(self.mean, self.stddev))


class LogNormal(_Bounded):
    """Log-normal with the given median and shape sigma (of the underlying normal), rounded and clamped to
    [low, high]: the long-tailed shape of real prompt and answer lengths."""

    kind: Literal["lognormal"] = "lognormal"
    median: float = Field(gt=0)
    sigma: float = Field(ge=0)

    def sample(self, rng: random.Random) -> int:
        return self._clamp(rng.lognormvariate(math.log(self.median), self.sigma))


LengthDistribution = Annotated[Fixed | Uniform | Normal | LogNormal, Field(discriminator="kind")]

class PoissonArrivals(_Input):
    """Open loop: requests arrive as a Poisson process at `rate_rps`, whether or not earlier ones finished.
    At most `max_in_flight` run at once; arrivals beyond that wait in the load generator (reported as
    dispatch lag, a sign the generator, not the server, was the bottleneck)."""

    kind: Literal["poisson"] = "poisson"
    rate_rps: float = Field(gt=0, le=10_000)
    max_in_flight: int = Field(256, ge=1, le=MAX_USERS)

    @property
    def users(self) -> int:
        return self.max_in_flight


class FixedConcurrency(_Input):
    """Closed loop: `users` clients, each sending its next request as soon as the previous one ends."""

    kind: Literal["concurrency"] = "concurrency"
    users: int = Field(ge=1, le=MAX_USERS)


Arrivals = Annotated[PoissonArrivals | FixedConcurrency, Field(discriminator="kind")]


class Workload(_Input):
    """The traffic of one run. A run ends at `duration_s` or after `max_requests`, whichever comes first;
    requests in flight then get up to `request_timeout_s` to finish."""

    arrivals: Arrivals
    input_tokens: LengthDistribution = Fixed(value=128)
    """Prompt length, in tokens (approximately: prompts are made of common one-token English words)."""
    output_tokens: LengthDistribution = Fixed(value=128)
    """Sent as `max_tokens`; with `ignore_eos` the server generates exactly that many."""
    duration_s: float = Field(60.0, gt=0, le=MAX_DURATION_S)
    max_requests: int = Field(1000, ge=1, le=MAX_REQUESTS)
    request_timeout_s: float = Field(60.0, gt=0, le=600)
    seed: int = 0
    """Seeds lengths, prompts and arrival times: the same seed sends the same traffic."""
    stream: bool = True
    """Streaming answers (TTFT and inter-token gaps measured) or whole JSON answers (end-to-end only)."""
    ignore_eos: bool = False
    """Adds `ignore_eos: true` to each request (a vLLM / TensorRT-LLM extension) so that answers have the
    drawn length."""


_WORDS = (
    "the", "of", "and", "to", "in", "is", "you", "that", "it", "he", "was", "for", "on", "are", "as",
    "with", "his", "they", "at", "be", "this", "have", "from", "or", "one", "had", "by", "word", "but",
    "not", "what", "all", "were", "we", "when", "your", "can", "said", "there", "use", "an", "each",
    "which", "she", "do", "how", "their", "if", "will", "up", "other", "about", "out", "many", "then",
    "them", "these", "so", "some", "her", "would", "make", "like", "him", "into", "time", "has", "look",
    "two", "more", "write", "go", "see", "number", "no", "way", "could", "people", "my", "than", "first",
    "water", "been", "call", "who", "its", "now", "find", "long", "down", "day", "did", "get", "come",
    "made", "may", "part",
)


def build_prompt(rng: random.Random, tokens: int) -> str:
    """A prompt of about `tokens` tokens: random common words, so no two prompts hit a response cache."""
    return " ".join(rng.choice(_WORDS) for _ in range(tokens))
