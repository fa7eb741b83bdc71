"""Red-team corpus against the policy packs: evasions caught (MANDATORY) and benign look-alikes flagged, each case
sent through every pack's own gRPC server (tests/policies/redteam/corpus.py; `python -m blueprints check --redteam`
prints the same figure)."""

from bench import Figure
from tests.policies.redteam import corpus

TITLE = "Policy packs vs the red-team corpus (issue 18): evasions caught, false positives"


def run() -> list[Figure]:
    verdicts = corpus.run_all()
    evasions = [v for v in verdicts if v.case.kind == "evasion"]
    benign = [v for v in verdicts if v.case.kind == "benign"]
    print(corpus.summary(verdicts))
    return [
        Figure("evasions caught", sum(v.correct for v in evasions), "cases", f"of {len(evasions)} evasions"),
        Figure("benign look-alikes flagged (false positives)", sum(not v.correct for v in benign), "cases",
               f"of {len(benign)} benign look-alikes"),
    ]
