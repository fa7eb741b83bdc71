"""`eval run` against a real HTTP server (the fake OpenAI-compatible backend): scores, tokens, resume, and the
errors that leave no result file."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from blueprints.errors import BlueprintError
from blueprints.evaluation import golden
from blueprints.evaluation.runner import RunOptions, run
from tests.fakes.openai_backend import FakeOpenAIBackend

pytestmark = pytest.mark.integration


def code_words(path: Path, count: int) -> golden.GoldenSet:
    """`count` cases: "What is code word N?" -> must contain "alpha-N"."""
    path.write_text("".join(json.dumps({"id": f"w{n:03d}", "prompt": f"What is code word {n}?",
                                        "checks": [{"type": "contains", "value": f"alpha-{n}"}]}) + "\n"
                            for n in range(count)))
    return golden.load(path)


def oracle(wrong: set[int] = frozenset()) -> Any:  # type: ignore[assignment]
    def answer(body: dict[str, Any]) -> str:
        n = int(body["messages"][-1]["content"].split()[-1].rstrip("?"))
        return f"The code word is {'beta' if n in wrong else 'alpha'}-{n}."
    return answer


def test_scores_every_case_with_tokens_and_latency(tmp_path: Path) -> None:
    cases = code_words(tmp_path / "set.jsonl", 10)
    with FakeOpenAIBackend(answer=oracle(wrong={3, 7})) as backend:
        out = tmp_path / "result.json"
        result = run(cases, RunOptions(endpoint=backend.base_url, model="fake-model", out=out, concurrency=4,
                                       repeats=2), stream=io.StringIO())
        assert backend.request_count == 20
        sent = backend.requests[0].body
    assert sent["model"] == "fake-model" and sent["temperature"] == 0.0 and sent["max_tokens"] == 512
    assert result.summary.cases == 20 and result.summary.pass_rate == 0.8
    assert result.summary.completion_tokens == 20 * 5
    assert json.loads(out.read_text())["run"]["golden_version"] == cases.version
    failed = sorted({r.id for r in result.results if not r.passed})
    assert failed == ["w003", "w007"]
    assert not (tmp_path / "result.json.partial").exists()


def test_context_reaches_the_model_in_a_system_message(tmp_path: Path) -> None:
    path = tmp_path / "rag.jsonl"
    path.write_text(json.dumps({"id": "r", "prompt": "How many days?", "context": ["Staff get 27 days."],
                                "checks": [{"type": "faithfulness"}, {"type": "contains", "value": "27"}]}) + "\n")
    with FakeOpenAIBackend(answer=lambda body: "Staff get 27 days.") as backend:
        result = run(golden.load(path), RunOptions(endpoint=backend.base_url, model="m", out=tmp_path / "o.json"),
                     stream=io.StringIO())
        messages = backend.requests[0].body["messages"]
    assert messages[0]["role"] == "system" and "[1] Staff get 27 days." in messages[0]["content"]
    assert messages[-1] == {"role": "user", "content": "How many days?"}
    assert result.summary.pass_rate == 1.0


def test_unreachable_endpoint_leaves_no_file(tmp_path: Path) -> None:
    cases = code_words(tmp_path / "set.jsonl", 3)
    with FakeOpenAIBackend() as backend:
        closed = backend.base_url
    with pytest.raises(BlueprintError, match=r"--endpoint: cannot reach http://127\.0\.0\.1:\d+/v1 \(ConnectError"):
        run(cases, RunOptions(endpoint=closed, model="m", out=tmp_path / "o.json"), stream=io.StringIO())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set.jsonl"]


def test_rejected_key_leaves_no_file(tmp_path: Path) -> None:
    cases = code_words(tmp_path / "set.jsonl", 3)
    with FakeOpenAIBackend(api_key="right") as backend, pytest.raises(BlueprintError, match="rejected the key"):
        run(cases, RunOptions(endpoint=backend.base_url, model="m", api_key="wrong", out=tmp_path / "o.json"),
            stream=io.StringIO())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set.jsonl"]


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path: Path) -> None:
    cases = code_words(tmp_path / "set.jsonl", 12)
    out = tmp_path / "o.json"
    answered = threading.Semaphore(0)
    backend = FakeOpenAIBackend(answer=oracle()).start()
    port = backend.port

    def answer_then_count(body: dict[str, Any]) -> str:
        answered.release()
        return oracle()(body)

    backend.answer = answer_then_count

    def stop_after_five() -> None:
        for _ in range(5):
            answered.acquire(timeout=10)
        backend.failure = "close"  # kept-alive connections are dropped,
        backend.stop()  # and new ones refused: the server went away mid-run

    stopper = threading.Thread(target=stop_after_five)
    stopper.start()
    with pytest.raises(BlueprintError, match=r"cases are kept in .*o\.json\.partial.*run the same command again"):
        run(cases, RunOptions(endpoint=backend.base_url, model="m", out=out, concurrency=1), stream=io.StringIO())
    stopper.join()
    assert not out.exists()
    kept = len((tmp_path / "o.json.partial").read_text().splitlines()) - 1
    assert 4 <= kept <= 5
    with FakeOpenAIBackend(answer=oracle(), port=port) as again:
        result = run(cases, RunOptions(endpoint=again.base_url, model="m", out=out, concurrency=1),
                     stream=io.StringIO())
        assert again.request_count == 12 - kept
    assert [r.id for r in result.results] == [case.id for case in cases.cases]
    assert result.summary.pass_rate == 1.0
    assert not (tmp_path / "o.json.partial").exists()


def test_judge_checks_need_a_judge_model_and_use_its_score(tmp_path: Path) -> None:
    path = tmp_path / "judged.jsonl"
    path.write_text(json.dumps({"id": "j", "prompt": "Explain DNS briefly.",
                                "checks": [{"type": "judge", "value": "Accurate and under 50 words."}]}) + "\n")
    cases = golden.load(path)
    with pytest.raises(BlueprintError, match="--judge-model: required, 1 cases have judge checks"):
        run(cases, RunOptions(endpoint="http://127.0.0.1:9/v1", model="m", out=tmp_path / "o.json"))

    def answer(body: dict[str, Any]) -> str:
        if body["model"] == "judge":
            assert "Rubric: Accurate and under 50 words." in body["messages"][-1]["content"]
            return '{"score": 3, "reason": "vague"}'
        return "DNS maps names to addresses."

    with FakeOpenAIBackend(models=("m", "judge"), answer=answer) as backend:
        result = run(cases, RunOptions(endpoint=backend.base_url, model="m", judge_model="judge",
                                       out=tmp_path / "o.json"), stream=io.StringIO())
    (check,) = result.results[0].checks
    assert check.type == "judge" and check.score == 3.0 and not check.passed


@pytest.mark.parametrize("concurrency", [32, 12], ids=["c32", "c12"])
def test_keeps_one_connection_alive_per_request_in_flight(tmp_path: Path, concurrency: int) -> None:
    """At concurrency N `eval run` reuses its N kept-alive connections. httpx's
    default pool keeps only 20 alive: at 32 it closed a connection after nearly every response and opened another."""
    cases = code_words(tmp_path / "set.jsonl", concurrency)
    with FakeOpenAIBackend(answer=oracle(), first_token_delay_s=0.01) as backend:
        result = run(cases, RunOptions(endpoint=backend.base_url, model="m", out=tmp_path / "o.json",
                                       concurrency=concurrency, repeats=4), stream=io.StringIO())
        assert backend.request_count == 4 * concurrency
        assert backend.connections_accepted <= concurrency
    assert result.summary.pass_rate == 1.0
