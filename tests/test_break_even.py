"""Break-even of self-hosting against the hosted API (issue 19 s4), from the plan's own cost model and planner."""

from __future__ import annotations

from functools import cache

import pytest

from blueprints.bill import SECONDS_PER_MONTH
from blueprints.plan import BREAK_EVEN_VOLUMES, BreakEven, break_even, break_even_chart, gpu_fleet, self_hosted_at
from blueprints.presets import load_spec


@cache
def curves(preset: str) -> tuple[BreakEven, ...]:
    """`break_even` of the preset's prod spec, once per process (regulated-industry's takes ~4 s of CPU)."""
    return tuple(break_even(load_spec(preset, "prod")))


@pytest.mark.parametrize(("preset", "model"), [("internal-ai", "corp-small"), ("regulated-industry", "reg-small")])
def test_self_hosted_side_at_the_presets_own_volume_is_the_plans_gpu_peak(preset, model):
    """At the model's stated traffic (peak rps x mean load x 2,628,000 s x output tokens = its monthly output volume)
    the curve's self-hosted cost is exactly the plan's GPU line at peak: same planner, same whole-node packing."""
    spec = load_spec(preset, "prod")
    stated = next(m for m in spec.serving.models if m.name == model)
    volume = (stated.traffic.requests_per_second * spec.usage.mean_load_of_peak * SECONDS_PER_MONTH
              * stated.traffic.output_tokens)
    [line] = [f for f in gpu_fleet(spec) if f.model == model and f.region == spec.regions[0]]
    assert self_hosted_at(spec, model, volume) == pytest.approx(line.peak_usd_per_month, abs=0.01)


def test_hosted_side_is_the_token_bill_at_the_models_input_output_ratio():
    """regulated-industry reg-small: 1000 input : 300 output tokens per request, Bedrock llama-3.1-8b at $0.22 per
    1M input and output tokens. 1B output tokens -> 3.333B input: (3,333.33 + 1,000) x $0.22 = $953.33."""
    [curve] = [c for c in curves("regulated-industry") if c.model == "reg-small"]
    point = next(p for p in curve.points if p.output_tokens_per_month == 10**9)
    assert point.hosted_usd == pytest.approx(953.33, abs=0.01)
    assert [p.output_tokens_per_month for p in curve.points] == list(BREAK_EVEN_VOLUMES)


def test_break_even_is_where_self_hosting_stays_cheaper():
    for preset in ("internal-ai", "regulated-industry", "enterprise-assistant"):
        for curve in curves(preset):
            volume = curve.break_even_output_tokens_per_month
            cheaper = [p.self_hosted_usd < p.hosted_usd for p in curve.points]
            if volume is None:
                assert not cheaper[-1], f"{preset} {curve.model}"
                continue
            start = BREAK_EVEN_VOLUMES.index(volume)
            assert all(cheaper[start:]) and (start == 0 or not cheaper[start - 1]), f"{preset} {curve.model}"


def test_chart_has_one_value_per_volume_on_both_lines():
    [curve] = [c for c in curves("regulated-industry") if c.model == "reg-small"]
    chart = break_even_chart(curve).splitlines()
    assert chart[0] == "xychart-beta"
    lines = [row.strip() for row in chart if row.strip().startswith("line [")]
    assert len(lines) == 2 and all(len(row.split(",")) == len(BREAK_EVEN_VOLUMES) for row in lines)
