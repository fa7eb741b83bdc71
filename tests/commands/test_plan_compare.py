"""`plan --compare A B`: every bill line of either target with its cost in each and the difference (issue 19 s4)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from blueprints.cli import main
from blueprints.plan import build_plan, compare
from blueprints.presets import load_spec


def test_deltas_cover_every_line_of_both_plans(graph_of):
    """Each plan's lines (fixed + usage + GPU at peak) add up to its total at peak; a line one plan lacks is 0 there.
    saas prod adds us-west-2, which saas dev has no line for."""
    dev, prod = (build_plan(load_spec("saas", env), graph_of("saas", env), date(2026, 12, 4))
                 for env in ("dev", "prod"))
    deltas = compare(dev, prod)
    for plan, side in ((dev, "a_usd_per_month"), (prod, "b_usd_per_month")):
        billed = sum(getattr(d, side) for d in deltas if d.kind != "gpu floor")
        assert billed == pytest.approx(plan.summary["monthly_usd"]["total_peak"], abs=0.05)
    west = [d for d in deltas if d.region == "us-west-2"]
    assert west and all(d.a_usd_per_month == 0 and d.delta == d.b_usd_per_month for d in west)
    nat = next(d for d in deltas if (d.region, d.item) == ("us-east-1", "NatGateway"))
    assert nat.delta == pytest.approx(nat.b_usd_per_month - nat.a_usd_per_month)


def test_compare_env_against_env_of_one_preset_as_json(capsys):
    assert main(["plan", "--preset", "startup-mvp", "--compare", "dev", "prod", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["a"], out["b"]) == ("startup-mvp:dev", "startup-mvp:prod")
    assert all(line["delta"] == pytest.approx(line["b_usd_per_month"] - line["a_usd_per_month"], abs=0.01)
               for line in out["lines"])
    assert out["totals"]["total_peak"]["b"] >= out["totals"]["total_peak"]["a"]


@pytest.mark.parametrize(("argv", "named"), [
    (["plan", "--compare", "prod", "dev"], "'prod' is an environment"),
    (["plan", "--compare", "saas:qa", "saas:prod"], "unknown environment 'qa'"),
])
def test_bad_compare_targets_fail_in_one_line(capsys, argv, named):
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "--compare" in lines[0]
