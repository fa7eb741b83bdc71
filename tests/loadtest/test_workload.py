"""Length distributions stay within their bounds, have the asked shape, and are reproducible."""

from __future__ import annotations

import random
import statistics

import pytest
from pydantic import ValidationError

from blueprints.loadtest import Fixed, LogNormal, Normal, Uniform, Workload
from blueprints.loadtest.workload import MAX_DURATION_S, FixedConcurrency, build_prompt


def _draw(distribution: Fixed | Uniform | Normal | LogNormal, n: int = 4000, seed: int = 1) -> list[int]:
    rng = random.Random(seed)
    return [distribution.sample(rng) for _ in range(n)]


def test_fixed_and_uniform() -> None:
    assert set(_draw(Fixed(value=7), 50)) == {7}
    values = _draw(Uniform(low=10, high=20))
    assert min(values) == 10 and max(values) == 20
    assert statistics.mean(values) == pytest.approx(15, abs=0.3)


def test_normal_is_centred_and_clamped() -> None:
    values = _draw(Normal(mean=100, stddev=10, low=90, high=130))
    assert min(values) == 90 and max(values) <= 130
    assert statistics.median(values) == pytest.approx(100, abs=1)


def test_lognormal_has_its_median_and_a_long_right_tail() -> None:
    values = _draw(LogNormal(median=200, sigma=0.8, low=1, high=100_000))
    assert statistics.median(values) == pytest.approx(200, rel=0.06)
    assert statistics.mean(values) > 1.2 * statistics.median(values)


def test_same_seed_same_draws() -> None:
    distribution = LogNormal(median=50, sigma=1, low=1, high=500)
    assert _draw(distribution, 100, seed=3) == _draw(distribution, 100, seed=3)
    assert _draw(distribution, 100, seed=3) != _draw(distribution, 100, seed=4)


def test_bounds_and_run_limits_are_validated() -> None:
    with pytest.raises(ValidationError, match="low must not exceed high"):
        Uniform(low=5, high=4)
    with pytest.raises(ValidationError):
        Workload(arrivals=FixedConcurrency(users=1), duration_s=MAX_DURATION_S + 1)
    with pytest.raises(ValidationError):
        Workload(arrivals=FixedConcurrency(users=1), max_requests=0)


def test_prompts_have_the_asked_number_of_words_and_differ() -> None:
    rng = random.Random(0)
    first, second = build_prompt(rng, 64), build_prompt(rng, 64)
    assert len(first.split()) == 64 and first != second
