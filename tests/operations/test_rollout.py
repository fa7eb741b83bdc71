import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from blueprints.errors import BlueprintError
from blueprints.operations import history
from blueprints.operations.metrics import CanaryMetrics
from blueprints.operations.rollout import Thresholds, step
from blueprints.operations.stack_file import StackFile
from tests.operations.support import read_config, write_stack

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
GOOD = CanaryMetrics(requests=500, error_ratio=0.001, ttft_p95_ms=700, tpot_p95_ms=30)
# internal-ai's corp-small: SLO ttft 1000 ms, tpot 40 ms, error ratio 0.01; preset canary at 10 %.


class FixedSource:
    def __init__(self, metrics: CanaryMetrics):
        self.metrics = metrics
        self.asked: list[tuple[str, str]] = []

    def measure(self, model, version, window, now):
        self.asked.append((model, version))
        return self.metrics


@pytest.fixture
def stack_file(tmp_path):
    write_stack(tmp_path, "prod", "internal-ai", "prod")
    return StackFile.load("prod", tmp_path)


def _step(stack_file, metrics, **kwargs):
    _, model = stack_file.model("corp-small")
    thresholds = Thresholds.for_model(model, **kwargs.pop("thresholds", {}))
    return step(stack_file, "corp-small", FixedSource(metrics), thresholds, timedelta(minutes=10), NOW,
                actor="ci-bot", **kwargs)


def _history(stack_file):
    return history.read(history.history_path(stack_file.path, "prod"))


def test_thresholds_default_to_the_model_slo_and_flags_override():
    from blueprints.presets import load_spec

    model = load_spec("internal-ai", "prod").serving.models[1]
    assert Thresholds.for_model(model).model_dump() == {
        "max_error_ratio": 0.01, "ttft_p95_ms": 1000, "tpot_p95_ms": 40, "min_requests": 50, "eval_margin": 0.1
    }
    assert Thresholds.for_model(model, ttft_p95_ms=500, min_requests=None).ttft_p95_ms == 500


def test_passing_gates_advance_to_the_next_step_and_record_the_evidence(stack_file):
    outcome = _step(stack_file, GOOD)
    assert outcome.status == "advanced"
    assert outcome.after["candidate_weight"] == 25
    versions = read_config(stack_file.path)["llm-platform:overrides"]["serving"]["models"][1]["versions"]
    assert versions["candidate_weight"] == 25
    [record] = _history(stack_file)
    assert (record.action, record.actor, record.reason) == ("step", "ci-bot", "gates passed at 10%")
    assert [gate["gate"] for gate in record.gates] == ["max_error_ratio", "ttft_p95_ms", "tpot_p95_ms"]
    assert all(gate["passed"] for gate in record.gates)


def test_the_last_step_promotes_the_candidate(stack_file):
    outcomes = [_step(StackFile.load("prod", stack_file.path.parent), GOOD).status for _ in range(4)]
    assert outcomes == ["advanced", "advanced", "advanced", "promoted"]
    spec = StackFile.load("prod", stack_file.path.parent).spec()
    assert spec.serving.models[1].versions.model_dump() == {
        "stable": "2026-11-01", "candidate": None, "candidate_weight": 0, "strategy": "canary", "active": "stable"
    }
    assert [record.action for record in _history(stack_file)] == ["step", "step", "step", "promote"]


@pytest.mark.parametrize(
    ("metrics", "failed"),
    [
        (GOOD.model_copy(update={"error_ratio": 0.05}), "max_error_ratio"),
        (GOOD.model_copy(update={"ttft_p95_ms": 1500}), "ttft_p95_ms"),
        (GOOD.model_copy(update={"tpot_p95_ms": None}), "tpot_p95_ms"),  # nothing measured fails closed
    ],
)
def test_a_failing_gate_rolls_back_automatically(stack_file, metrics, failed):
    outcome = _step(stack_file, metrics)
    assert outcome.status == "rolled-back"
    assert outcome.after["candidate"] is None
    assert StackFile.load("prod", stack_file.path.parent).spec().serving.models[1].versions.candidate is None
    [record] = _history(stack_file)
    assert record.action == "auto-rollback" and record.reason == f"gates failed: {failed}"
    assert record.before["candidate"] == "2026-11-01" and record.after["candidate"] is None


def test_too_little_traffic_holds_without_writing(stack_file):
    before = stack_file.path.read_text()
    outcome = _step(stack_file, GOOD.model_copy(update={"requests": 12, "error_ratio": 0.5}))
    assert outcome.status == "held" and outcome.gates == []
    assert stack_file.path.read_text() == before and _history(stack_file) == []


def _loadtest(tmp_path, passed):
    path = tmp_path / "summary.json"
    path.write_text(json.dumps({"summary": {"requests": 200}, "gate_results": [
        {"gate": "ttft_p95_ms", "threshold": 1000, "observed": 900, "passed": True},
        {"gate": "max_error_ratio", "threshold": 0.01, "observed": 0.2, "passed": passed},
    ]}))
    return path


@pytest.fixture(scope="module")
def eval_runs(tmp_path_factory):
    """Real `eval gate` runs through a fake gateway serving `corp-small@<version>`: an equal candidate, a worse one
    (wrong on 12 of 40 cases), and a run of the wrong version."""
    from blueprints.evaluation.gate import Location, gate
    from blueprints.evaluation.runner import RunOptions
    from tests.evaluation.test_runner import code_words, oracle
    from tests.fakes.openai_backend import FakeOpenAIBackend

    root = tmp_path_factory.mktemp("evals")
    cases = code_words(root / "golden.jsonl", 40)
    good, bad = oracle(), oracle(wrong=set(range(12)))
    locations = {}
    for name, stable, candidate, answers in (("equal", "2026-10-01", "2026-11-01", {}),
                                             ("worse", "2026-10-01", "2026-11-01", {"2026-11-01": bad}),
                                             ("other", "2026-09-01", "2026-11-01", {})):
        with FakeOpenAIBackend(answer=lambda body, a=answers: a.get(body["model"].split("@")[1], good)(body)) as api:
            locations[name] = str(root / name)
            gate(cases, RunOptions(endpoint=api.base_url, model="", out=root / "unused"), "corp-small", stable,
                 candidate, Location(locations[name]), stream=io.StringIO())
    return locations


def test_loadtest_and_eval_gates(stack_file, tmp_path, eval_runs):
    outcome = _step(stack_file, GOOD, loadtest=_loadtest(tmp_path, True), evaluation=eval_runs["equal"])
    assert outcome.status == "advanced"
    assert [gate.gate for gate in outcome.gates][-2:] == ["loadtest_failed_gates", "eval_not_worse"]
    assert outcome.gates[-1].observed == 0.0 and outcome.gates[-1].threshold == -0.1

    outcome = _step(stack_file, GOOD, loadtest=_loadtest(tmp_path, False))
    assert outcome.status == "rolled-back"
    assert _history(stack_file)[-1].reason == "gates failed: loadtest_failed_gates"


def test_a_candidate_worse_on_the_golden_set_is_rolled_back(stack_file, eval_runs):
    outcome = _step(stack_file, GOOD, evaluation=eval_runs["worse"])
    assert outcome.status == "rolled-back"
    record = _history(stack_file)[-1]
    assert record.reason == "gates failed: eval_not_worse"
    assert record.gates[-1]["gate"] == "eval_not_worse" and record.gates[-1]["observed"] < -0.1


def test_eval_of_another_version_or_a_missing_location_is_bad_input(stack_file, tmp_path, eval_runs):
    with pytest.raises(BlueprintError, match=r"^--eval: baseline.json evaluated 'corp-small@2026-09-01', not "
                                             r"'corp-small@2026-10-01'"):
        _step(stack_file, GOOD, evaluation=eval_runs["other"])
    with pytest.raises(BlueprintError, match=r"^--eval: cannot read .*baseline.json"):
        _step(stack_file, GOOD, evaluation=str(tmp_path / "nowhere"))


def test_blue_green_candidate_at_zero_traffic_is_judged_offline(tmp_path):
    extra = """  llm-platform:overrides:
    serving:
      models:
        - {}
        - versions: {stable: "2026-10-01", candidate: "2026-11-01", candidate_weight: 0, strategy: blue-green}
"""
    write_stack(tmp_path, "prod", "internal-ai", "prod", extra)
    stack_file = StackFile.load("prod", tmp_path)
    idle = CanaryMetrics(requests=0, error_ratio=None, ttft_p95_ms=None, tpot_p95_ms=None)
    outcome = _step(stack_file, idle, loadtest=_loadtest(tmp_path, True))
    assert outcome.status == "advanced" and outcome.after["active"] == "candidate"


def test_no_candidate_is_bad_input(tmp_path):
    write_stack(tmp_path, "prod", "regulated-industry", "prod")
    stack_file = StackFile.load("prod", tmp_path)
    _, model = stack_file.model("reg-small")
    with pytest.raises(BlueprintError, match=r"^--model: 'reg-small' has no candidate version"):
        step(stack_file, "reg-small", FixedSource(GOOD), Thresholds.for_model(model), timedelta(minutes=5), NOW)
