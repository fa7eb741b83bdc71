"""eks-standard-support(-prod): a cluster whose Kubernetes version leaves EKS standard support within 60 days (or
has left it) fails in prod (mandatory, baseline pack) and is advised against elsewhere. Dates: the Amazon EKS
Kubernetes release calendar (1.35: standard support until 2027-03-27)."""

import pytest
from blueprints_policies.evaluate import evaluate_pack
from blueprints_policies.packs import BASELINE, Pack

from blueprints.catalog.aws_prices import PRICES_AS_OF
from blueprints.versions import KUBERNETES_VERSION
from tests.policies.helpers import graph, record

POLICIES = ("eks-standard-support", "eks-standard-support-prod")


def verdicts(version: str, environment: str, as_of: str, pack: Pack = BASELINE) -> list[tuple[str, str, str]]:
    stack = graph(record("aws:eks/cluster:Cluster", "cluster", {"version": version}),
                  **{"llm-platform:environment": environment})
    config = {policy: {"enforcementLevel": pack.level(policy), "asOf": as_of} for policy in POLICIES}
    result = evaluate_pack(stack, pack, config)
    return [(v.policy, v.level, v.message) for v in result.violations if v.policy in POLICIES]


@pytest.mark.parametrize(("as_of", "failing"), [
    ("2027-01-26", False),   # 60 days before 2027-03-27: still fine
    ("2027-01-27", True),    # 59 days left
    ("2027-03-27", True),    # the day extended-support billing starts
    ("2027-06-01", True),    # in extended support
])
def test_prod_fails_within_60_days_of_the_end_of_standard_support(as_of: str, failing: bool) -> None:
    found = verdicts("1.35", "prod", as_of)
    assert [(policy, level) for policy, level, _ in found] == ([("eks-standard-support-prod", "mandatory")]
                                                              if failing else [])
    assert all("2027-03-27" in message for _, _, message in found)


@pytest.mark.parametrize("environment", ["dev", "staging"])
def test_other_environments_are_advised(environment: str) -> None:
    found = verdicts("1.35", environment, "2027-02-15")
    assert [(policy, level) for policy, level, _ in found] == [("eks-standard-support", "advisory")]
    assert "40 days" in found[0][2]


def test_the_pinned_version_passes_in_prod_as_of_the_calendar_date() -> None:
    """The old pin (1.33, standard support ended 2026-07-29) fails here; the presets' version must not."""
    assert verdicts(KUBERNETES_VERSION, "prod", PRICES_AS_OF.isoformat()) == []
    assert verdicts("1.33", "prod", PRICES_AS_OF.isoformat())
