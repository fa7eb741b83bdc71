"""`python -m blueprints loadtest` through `blueprints.cli.main`: exit codes, messages, files, gates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blueprints.cli import main
from blueprints.commands.loadtest import parse_length
from blueprints.errors import BlueprintError
from blueprints.loadtest import Fixed, LogNormal, Normal, Uniform
from tests.fakes.openai_backend import FakeOpenAIBackend
from tests.loadtest.delaying_proxy import DelayingProxy

BOUNDED = ["--concurrency", "2", "--max-requests", "6", "--duration", "5", "--output-tokens", "4",
           "--input-tokens", "uniform:4:8", "--progress-interval", "0.25"]


@pytest.mark.parametrize("text, expected", [
    ("64", Fixed(value=64)),
    ("fixed:64", Fixed(value=64)),
    ("uniform:10:20", Uniform(low=10, high=20)),
    ("normal:512:128:16:2048", Normal(mean=512, stddev=128, low=16, high=2048)),
    ("LogNormal:300:0.6:1:4096", LogNormal(median=300, sigma=0.6, low=1, high=4096)),
])
def test_length_distributions_parse(text: str, expected: object) -> None:
    assert parse_length(text, "--input-tokens") == expected


@pytest.mark.parametrize("text, message", [
    ("poisson:3", "not a length distribution"),
    ("uniform:10", "not a length distribution"),
    ("uniform:20:10", "low must not exceed high"),
    ("fixed:0", "value: Input should be greater than or equal to 1"),
    ("normal:a:1:1:2", "mean: Input should be a valid number"),
])
def test_bad_length_distributions_name_the_flag_and_the_syntax(text: str, message: str) -> None:
    with pytest.raises(BlueprintError, match=message) as error:
        parse_length(text, "--output-tokens")
    assert str(error.value).startswith("--output-tokens: ") and "allowed: N | fixed:N" in str(error.value)


@pytest.mark.parametrize("flags, message", [
    (["--duration", "5000"], "error: --duration: Input should be less than or equal to 3600 (got 5000.0)"),
    (["--max-requests", "0"], "error: --max-requests: Input should be greater than or equal to 1 (got 0)"),
    (["--base-url", "localhost:4000"], "error: --base-url: must be an http(s) URL"),
    (["--max-error-ratio", "2"], "error: --max-error-ratio: Input should be less than or equal to 1"),
    (["--direct-base-url", "nowhere"], "error: --direct-base-url: must be an http(s) URL"),
])
def test_bad_input_exits_2_with_one_line_naming_the_flag(
    flags: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["loadtest", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--concurrency", "1",
            "--out", str(tmp_path), *flags]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert not any(tmp_path.iterdir())


def test_rate_and_concurrency_exclude_each_other(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["loadtest", "--base-url", "http://x/v1", "--model", "m", "--rate", "1", "--concurrency", "1",
                 "--out", str(tmp_path)]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.integration
def test_a_passing_run_prints_progress_and_a_summary_and_writes_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    with FakeOpenAIBackend(first_token_delay_s=0.02, token_delay_s=0.005) as backend:
        code = main(["loadtest", "--base-url", backend.base_url, "--model", "fake-model", *BOUNDED,
                     "--ttft-p95-ms", "2000", "--tpot-p95-ms", "500", "--max-error-ratio", "0",
                     "--out", str(tmp_path)])
        keys = {r.headers["Authorization"] for r in backend.requests}
    out, err = capsys.readouterr()
    assert code == 0
    assert keys == {"Bearer sk-from-env"}
    assert "6 done, 0 failed, 0 in flight" in err
    assert "6 requests in" in out and "TTFT ms" in out and "pass  ttft_p95_ms" in out
    assert {p.name for p in tmp_path.iterdir()} == {"summary.json", "requests.csv", "windows.csv", "chart.html"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert all(result["passed"] for result in summary["gate_results"]) and len(summary["gate_results"]) == 3


@pytest.mark.integration
def test_a_failing_backend_fails_the_error_gate_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenAIBackend(failure="http_500") as backend:
        code = main(["loadtest", "--base-url", backend.base_url, "--model", "fake-model", *BOUNDED,
                     "--max-error-ratio", "0.01", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "FAIL  max_error_ratio: observed 1, limit 0.01" in out
    assert err.splitlines()[-1] == "SLO gates failed: FAIL  max_error_ratio: observed 1, limit 0.01"
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["summary"]["error_ratio"] == 1.0 and summary["gate_results"][0]["passed"] is False


@pytest.mark.integration
def test_direct_base_url_reports_the_gateways_added_latency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenAIBackend(first_token_delay_s=0.01) as backend, DelayingProxy(backend.url, 0.04) as proxy:
        code = main(["loadtest", "--base-url", proxy.base_url, "--model", "fake-model", "--api-key", "sk-gw",
                     "--direct-base-url", backend.base_url, *BOUNDED, "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "gateway added latency (median, gateway - direct): TTFT +" in out
    added = json.loads((tmp_path / "added_latency.json").read_text())
    assert 32 <= added["ttft_p50_ms"] < 140, "the proxy's 40 ms, give or take the noise of two medians"
    assert json.loads((tmp_path / "direct" / "summary.json").read_text())["target"]["name"] == "direct"
    assert json.loads((tmp_path / "summary.json").read_text())["target"]["name"] == "gateway"


def test_gates_come_from_the_preset_slo_and_flags_win():
    from blueprints.cli import build_parser
    from blueprints.commands.loadtest import _gates

    parser = build_parser()
    base = ["loadtest", "--base-url", "http://127.0.0.1:9/v1", "--out", "x", "--concurrency", "1"]
    args = parser.parse_args([*base, "--model", "reg-small", "--preset", "regulated-industry", "--env", "prod"])
    assert _gates(args).model_dump() == {"ttft_p95_ms": 1000, "tpot_p95_ms": 40, "max_error_ratio": 0.01}
    args = parser.parse_args([*base, "--model", "reg-small", "--preset", "regulated-industry", "--tpot-p95-ms", "55"])
    assert _gates(args).tpot_p95_ms == 55


def test_a_model_outside_the_preset_is_refused():
    from blueprints.cli import main

    code = main(["loadtest", "--base-url", "http://127.0.0.1:9/v1", "--out", "x", "--concurrency", "1",
                 "--model", "nope", "--preset", "saas"])
    assert code == 2
