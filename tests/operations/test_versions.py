import pytest

from blueprints.errors import BlueprintError
from blueprints.operations import history
from blueprints.operations import versions as moves

STEPS = (5, 25, 50, 100)
CANARY = {"stable": "2026-10-01", "candidate": None, "candidate_weight": 0, "strategy": "canary", "active": "stable"}
BLUE_GREEN = {**CANARY, "strategy": "blue-green"}


def test_a_canary_climbs_the_steps_then_is_promoted():
    state = moves.start_candidate(CANARY, "2026-11-01", 5)
    assert (state["candidate"], moves.candidate_traffic(state)) == ("2026-11-01", 5)
    seen = []
    for _ in range(4):
        state, action = moves.advance(state, STEPS)
        seen.append((action, moves.candidate_traffic(state)))
    assert seen == [("step", 25), ("step", 50), ("step", 100), ("promote", 0)]
    assert state == {**CANARY, "stable": "2026-11-01"}


def test_blue_green_cuts_over_in_one_step_then_promotes():
    state = moves.start_candidate(BLUE_GREEN, "2026-11-01", 5)
    assert (state["candidate_weight"], moves.candidate_traffic(state)) == (0, 0)
    state, action = moves.advance(state, STEPS)
    assert (action, state["active"], moves.candidate_traffic(state)) == ("step", "candidate", 100)
    state, action = moves.advance(state, STEPS)
    assert action == "promote" and state == {**BLUE_GREEN, "stable": "2026-11-01"}


def test_abort_returns_all_traffic_to_stable():
    state = {**BLUE_GREEN, "candidate": "2026-11-01", "active": "candidate"}
    assert moves.abort(state) == BLUE_GREEN


@pytest.mark.parametrize(
    ("state", "version", "message"),
    [
        (CANARY, "2026-10-01", "already the stable version"),
        ({**CANARY, "candidate": "2026-10-15", "candidate_weight": 5}, "2026-11-01",
         "'2026-10-15' is being rolled out"),
    ],
)
def test_refused_candidates(state, version, message):
    with pytest.raises(BlueprintError, match=message):
        moves.start_candidate(state, version, 5)


def test_advancing_without_candidate_is_bad_input():
    with pytest.raises(BlueprintError, match="no candidate version is being rolled out"):
        moves.advance(CANARY, STEPS)


def _record(model, before, after, action="promote"):
    return history.new_record(actor="ci", stack="prod", model=model, action=action, reason="r",
                              before={"stable": before}, after={"stable": after})


def test_previous_stable_comes_from_the_newest_promotion_that_made_it_stable():
    records = [_record("m", "a", "b"), _record("other", "x", "c"), _record("m", "b", "c"), _record("m", "c", "c")]
    assert moves.previous_stable(records, "m", "c") == "b"
    with pytest.raises(BlueprintError, match="no earlier stable version of 'm'"):
        moves.previous_stable(records, "m", "a")
    # After rolling back c -> b, a second rollback goes on to a (not back to c).
    records.append(_record("m", "c", "b", action="rollback"))
    assert moves.previous_stable(records, "m", "b") == "a"
