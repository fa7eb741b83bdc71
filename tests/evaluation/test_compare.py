"""`eval compare` blocks a measurably worse candidate, passes an equal one, refuses unusable inputs (exit 2)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from blueprints.cli import main
from blueprints.evaluation.compare import cases_needed
from blueprints.evaluation.runner import RunOptions, run
from tests.evaluation.test_runner import code_words, oracle
from tests.fakes.openai_backend import FakeOpenAIBackend

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Result files of real runs: baseline, an equal candidate, a worse one (12 of 40 wrong), a small set."""
    root = tmp_path_factory.mktemp("eval")
    large, small = code_words(root / "large.jsonl", 40), code_words(root / "small.jsonl", 10)
    files = {}
    for name, cases, wrong in (("baseline", large, set()), ("equal", large, set()),
                               ("worse", large, set(range(0, 40, 3)) - {39}), ("small", small, set()),
                               ("small2", small, set())):
        with FakeOpenAIBackend(answer=oracle(wrong)) as backend:
            files[name] = root / f"{name}.json"
            run(cases, RunOptions(endpoint=backend.base_url, model=name, out=files[name], concurrency=8),
                stream=io.StringIO())
    return files


def test_equal_candidate_is_not_worse(results: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "compare", str(results["baseline"]), str(results["equal"])]) == 0
    out = capsys.readouterr().out
    assert "verdict: candidate NOT WORSE" in out
    assert "contains" in out and "40 cases (at least 31 needed)" in out


def test_worse_candidate_is_blocked(results: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "compare", str(results["baseline"]), str(results["worse"]), "--format", "json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["not_worse"] is False
    assert verdict["overall"]["candidate"] == pytest.approx(27 / 40)
    assert verdict["discordant"] == [13, 0] and verdict["mcnemar_p"] < 0.001


def test_too_small_set_is_refused_with_the_size_needed(results: dict[str, Path],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "compare", str(results["small"]), str(results["small2"])]) == 2
    assert "too few cases: 10, at least 31 are needed" in capsys.readouterr().err
    assert cases_needed(margin=0.05, alpha=0.05, power=0.8, discordance=0.05) == 124


def test_different_golden_sets_are_refused(results: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "compare", str(results["baseline"]), str(results["small"])]) == 2
    assert "golden set versions differ" in capsys.readouterr().err


def test_a_file_that_is_no_result_is_refused(tmp_path: Path, results: dict[str, Path],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"score": 0.9}')
    assert main(["eval", "compare", str(results["baseline"]), str(other)]) == 2
    assert "is not a result file of `eval run`" in capsys.readouterr().err


def test_run_command_prints_a_summary_and_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    code_words(tmp_path / "set.jsonl", 4)
    monkeypatch.setenv("EVAL_KEY", "k")
    with FakeOpenAIBackend(answer=oracle(), api_key="k") as backend:
        code = main(["eval", "run", "--endpoint", backend.base_url, "--model", "m", "--golden",
                     str(tmp_path / "set.jsonl"), "--out", str(tmp_path / "r.json"), "--api-key-env", "EVAL_KEY"])
    captured = capsys.readouterr()
    assert code == 0
    assert "m on set (4 runs): passed 100.0%, 0 errors; contains 100%" in captured.out
    assert "[##############################] 100%  4 / 4" in captured.err
    assert main(["eval", "run", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--golden", "nope",
                 "--out", str(tmp_path / "x.json")]) == 2
    assert "--golden: no file 'nope'" in capsys.readouterr().err
