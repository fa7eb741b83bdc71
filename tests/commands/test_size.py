import json

import pytest

from blueprints.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["size", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_max_throughput_prints_json_with_output_tok_s_total(capsys):
    code, out, _ = _run(
        capsys,
        *[
            "--model",
            "llama-3.3-70b",
            "--gpu",
            "H100",
            "--tp",
            "2",
            "--precision",
            "fp8",
            "--isl",
            "1000",
            "--osl",
            "1000",
        ],
        "--max-throughput",
        "--json",
    )
    assert code == 0
    estimate = json.loads(out)
    assert estimate["tp"] == 2 and 2000 < estimate["output_tok_s_total"] < 10000


def test_sizing_prints_a_table_with_cost_and_break_even(capsys):
    code, out, _ = _run(
        capsys,
        *[
            "--model",
            "llama-3.1-8b",
            "--gpu",
            "L40S",
            "--isl",
            "500",
            "--osl",
            "200",
            "--rps",
            "5",
            "--ttft-ms",
            "1000",
            "--tpot-ms",
            "40",
        ],
        *["--hosted", "llama-3.1-8b"],
    )
    assert code == 0
    table = dict(line.split(None, 1) for line in out.splitlines())
    assert table["instance_type"].startswith("g6e.")
    assert float(table["usd_per_month"].replace(",", "")) > 0
    assert table["hosted"] == "llama-3.1-8b" and "break_even_requests_per_second" in table


def test_sizing_json_round_trips(capsys):
    code, out, _ = _run(
        capsys,
        *[
            "--model",
            "llama-3.3-70b",
            "--gpu",
            "H200",
            "--isl",
            "1000",
            "--osl",
            "300",
            "--rps",
            "2",
            "--ttft-ms",
            "2000",
            "--tpot-ms",
            "60",
        ],
        *["--capacity-type", "spot", "--json"],
    )
    assert code == 0
    result = json.loads(out)
    assert result["capacity_type"] == "spot" and result["replicas"] >= 1 and result["hosted"] is None


BASE = ["--model", "llama-3.1-8b", "--gpu", "H100", "--isl", "1000", "--osl", "1000"]
SLO = ["--rps", "1", "--ttft-ms", "1000", "--tpot-ms", "50"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--model", "gpt-5"], "--model: unknown name (got 'gpt-5'; allowed: llama-3.1-8b"),
        (["--gpu", "V100"], "--gpu: unknown name (got 'V100'; allowed: H100, H200, B200, A100, L40S, L4, A10G"),
        (["--precision", "int8"], "--precision: unknown (got 'int8'; allowed: bf16, fp8, nvfp4, int4_awq)"),
        (["--gpu", "A10G", "--max-throughput"], "precision: fp8 is not supported by TensorRT-LLM on A10G"),
        (["--tp", "3", "--max-throughput"], "tp: tensor-parallel size must be a power of two (got 3; allowed"),
        ([], "--rps, --ttft-ms, --tpot-ms: required without --max-throughput"),
        ([*SLO, "--hosted", "gpt-4o"], "--hosted: unknown name (got 'gpt-4o'; allowed: claude-sonnet-4"),
        ([*SLO, "--capacity-type", "x"], "--capacity-type: unknown (got 'x'; allowed: on-demand, spot)"),
    ],
)
def test_bad_flags_exit_2_with_one_line_naming_the_allowed_values(capsys, flags, message):
    # Later flags override BASE: argparse keeps the last occurrence.
    code, out, err = _run(capsys, *BASE, *flags)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
