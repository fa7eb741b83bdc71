"""The plan prices the EKS control plane at the extended-support rate for the part of the plan's lifetime past the
version's end of standard support (aws.amazon.com/eks/pricing: $0.10 per cluster-hour in standard support, $0.60
in extended support; dates from the Amazon EKS Kubernetes release calendar)."""

from datetime import date

import pytest

from blueprints.catalog.aws_prices import PRICES_AS_OF, Term, eks_cluster_monthly, extended_support_days
from blueprints.catalog.instances import HOURS_PER_MONTH
from blueprints.errors import SpecError
from blueprints.plan import build_plan
from blueprints.presets import load_spec


def test_a_term_inside_standard_support_costs_the_standard_rate() -> None:
    # 1.35: standard support until 2027-03-27.
    term = Term(start=date(2026, 12, 4), months=3)
    assert extended_support_days("1.35", term) == 0
    assert eks_cluster_monthly("1.35", term) == pytest.approx(0.10 * HOURS_PER_MONTH)


def test_a_term_inside_extended_support_costs_the_extended_rate() -> None:
    # 1.33: standard support ended 2026-07-29, extended support until 2027-07-29.
    term = Term(start=date(2026, 12, 4), months=6)
    assert extended_support_days("1.33", term) == term.days
    assert eks_cluster_monthly("1.33", term) == pytest.approx(0.60 * HOURS_PER_MONTH)


def test_a_term_across_the_end_of_standard_support_is_prorated_by_day() -> None:
    term = Term(start=date(2026, 12, 4), months=12)
    extended = (term.end - date(2027, 3, 27)).days
    assert extended_support_days("1.35", term) == extended
    share = extended / term.days
    assert eks_cluster_monthly("1.35", term) == pytest.approx((0.10 * (1 - share) + 0.60 * share) * HOURS_PER_MONTH)


def test_after_the_end_of_extended_support_eks_has_upgraded_and_bills_standard_again() -> None:
    # 1.31: extended support ended 2026-11-26; EKS then upgrades the control plane itself.
    assert extended_support_days("1.31", Term(start=date(2026, 12, 4), months=12)) == 0


@pytest.mark.parametrize(("months", "extended"), [(3, False), (12, True)])
def test_plan_prices_the_cluster_over_the_spec_lifetime(graph_of, months: int, extended: bool) -> None:
    graph = graph_of("saas", "prod")
    spec = load_spec("saas", "prod", overrides={"cluster": {"lifetime_months": months}})
    term = Term(start=PRICES_AS_OF, months=months)
    clusters = {r.name: r.inputs["version"] for r in graph.of_type("aws:eks/cluster:Cluster")}
    lines = [line for line in build_plan(spec, graph, PRICES_AS_OF).costs
             if line.item == "Cluster" and line.detail.split(" ")[0] in clusters]
    assert len(lines) == len(clusters) >= 1
    for line in lines:
        version = clusters[line.detail.split(" ")[0]]
        assert line.usd_per_month == round(eks_cluster_monthly(version, term), 2)
        assert ("extended support" in line.detail) is extended
        assert (line.usd_per_month > round(0.10 * HOURS_PER_MONTH, 2)) is extended


def test_lifetime_months_is_bounded() -> None:
    with pytest.raises(SpecError, match="lifetime_months"):
        load_spec("saas", "prod", overrides={"cluster": {"lifetime_months": 0}})
